import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "../helpers/cli.js";

// "CI fails on a missing key": en and nl carry the same keys, and every literal key the console's code
// asks for exists in English. Keys built at run time (t(`x.${y}`)) are not checked here.
const RENDERER = join(ROOT, "renderer", "src");
const LOCALES = join(RENDERER, "i18n", "locales");

type Tree = { [k: string]: string | Tree };

function flatten(tree: Tree, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === "string" ? [`${prefix}${k}`] : flatten(v, `${prefix}${k}.`),
  );
}

function keysOf(locale: string): Set<string> {
  const dir = join(LOCALES, locale);
  return new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .flatMap((f) => flatten(JSON.parse(readFileSync(join(dir, f), "utf8")) as Tree, `${f.slice(0, -5)}.`)),
  );
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(vue|ts)$/.test(name) ? [path] : [];
  });
}

/** t("a.b"), $t('a.b'), te("a.b"), keypath="a.b" and route meta nav: "a.b", with literal strings only. */
function usedKeys(): { key: string; file: string }[] {
  const patterns = [
    /(?<![\w$.])\$?t[ce]?\(\s*(["'])([\w.-]+)\1/g,
    /(?<![\w$])keypath=(["'])([\w.-]+)\1/g,
    /\bnav:\s*(["'])([\w.-]+)\1/g,
  ];
  return sources(RENDERER).flatMap((file) => {
    const text = readFileSync(file, "utf8");
    return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => ({ key: m[2]!, file: relative(ROOT, file) })));
  });
}

describe("console translations", () => {
  const en = keysOf("en");
  const nl = keysOf("nl");

  it("has English and Dutch files for the same areas", () => {
    expect(readdirSync(join(LOCALES, "nl")).sort()).toEqual(readdirSync(join(LOCALES, "en")).sort());
  });

  it("has the same keys in English and Dutch", () => {
    expect(
      [...en].filter((k) => !nl.has(k)),
      "in en, missing from nl",
    ).toEqual([]);
    expect(
      [...nl].filter((k) => !en.has(k)),
      "in nl, missing from en",
    ).toEqual([]);
  });

  it("defines every key the console's code uses", () => {
    const used = usedKeys();
    // The scan must find the keys in use, or this test would pass on nothing.
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter((u) => !en.has(u.key)).map((u) => `${u.file}: ${u.key}`)).toEqual([]);
  });
});
