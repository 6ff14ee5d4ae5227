#!/usr/bin/env node
// Runs the CLI from source in a checkout (through tsx), or from the bundle in an installed build.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "main", "cli.ts");
let cli;
if (existsSync(source)) {
  const { tsImport } = await import("tsx/esm/api");
  cli = await tsImport(pathToFileURL(source).href, import.meta.url);
} else {
  cli = await import(pathToFileURL(join(root, "out", "main", "cli.js")).href);
}
const code = await cli.main(process.argv.slice(2));
if (code !== 0) process.exit(code);
