import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * Where a worker thread's code is, for `new Worker(code ?? url, { eval: Boolean(code) })`: `<name>.ts`
 * beside `here` (the caller's import.meta.url) when running from source (TypeScript through tsx, as
 * `npm run serve`, vitest and the benches do), or the bundled `<name>.js` next to the entry points.
 */
export function workerEntry(here: URL, name: string): { url: URL; code?: string } {
  if (here.pathname.endsWith(".ts")) {
    // A worker's entry is loaded before any --import hook would apply: register tsx, then import it.
    const tsx = pathToFileURL(
      createRequire(here)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    const url = new URL(`./${name}.ts`, here);
    return {
      url,
      code: `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`,
    };
  }
  for (const rel of [`./${name}.js`, `../${name}.js`, `../../${name}.js`]) {
    const url = new URL(rel, here);
    if (existsSync(url)) return { url };
  }
  throw new Error(`the ${name} thread's code (${name}.js) is missing beside ${here.pathname}: the build is incomplete`);
}
