// `npm run bench -- <name> [options]`: runs bench/<name>.ts and prints its table.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("lib-"))
  .map((f) => f.replace(/\.ts$/, ""));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(
    `${name ? `unknown benchmark '${name}'. ` : ""}Usage: npm run bench -- <name> [options]\nAvailable: ${available.join(", ")}`,
  );
  process.exit(2);
}
const mod = await import(pathToFileURL(join(here, `${name}.ts`)).href);
await mod.run(args);
// Child processes and workers a bench started may still be winding down: its table is printed, so end here.
process.exit(0);
