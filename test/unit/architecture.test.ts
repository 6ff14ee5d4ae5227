import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

/**
 * The engine's shape, checked on every run (issue #12): folders import each other in one direction only,
 * and a file grows past ~300 lines only with a reason written at its top. ESLint holds the named layer
 * rules (eslint.config.js); this holds what a list of rules cannot: that no new arrow closes a circle.
 */
const ENGINE = join(import.meta.dirname, "../../main/engine");
const MAX_LINES = 300;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** The engine folder (or top-level file) a path belongs to. */
const unit = (path: string) => relative(ENGINE, path).split("/")[0];

function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(ENGINE)) {
    const from = unit(file);
    for (const m of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      const target = normalize(join(dirname(file), m[1]));
      if (relative(ENGINE, target).startsWith("..")) continue;
      const to = unit(target);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      edges.set(to, relative(ENGINE, file));
      graph.set(from, edges);
    }
  }
  return graph;
}

/** One circle of folders, as "a → b → a" with the file behind each arrow, or null. */
function findCycle(graph: Map<string, Map<string, string>>): string | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string | null => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === "open") {
        const circle = [...path.slice(path.indexOf(next)), next];
        return circle
          .map((n, i) => (i + 1 < circle.length ? `${n} (${graph.get(n)!.get(circle[i + 1])})` : n))
          .join(" → ");
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

describe("engine architecture", () => {
  it("no two engine folders import each other, directly or around a circle", () => {
    const graph = folderGraph();
    expect(graph.get("calls")?.has("voice"), "the check sees the real imports").toBe(true);
    expect(findCycle(graph)).toBeNull();
  });

  it(`no engine file is over ${MAX_LINES} lines without saying why at its top`, () => {
    const long = sources(ENGINE)
      .map((file) => ({ file: relative(ENGINE, file), text: readFileSync(file, "utf8") }))
      .filter(({ text }) => text.split("\n").length > MAX_LINES + 10)
      .filter(({ text }) => !/over \d+ lines because/i.test(text.split("\n").slice(0, 15).join("\n")));
    expect(long.map((f) => f.file)).toEqual([]);
  });
});
