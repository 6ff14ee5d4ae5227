// GET /api/v1/calls?q= on a large call history (issue #15): the first page, then searches of different reach,
// each timed over HTTP from this process, one request at a time. `--rows N` (default 100000), `--runs N` (default 20).
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "../main/engine/index.js";
import { seedCallHistory } from "../test/support/call-history.js";
import { option, percentile, table } from "./lib-stats.js";

export async function run(args: string[]): Promise<void> {
  const rows = option(args, "rows", 100_000);
  const runs = option(args, "runs", 20);
  const dataDir = mkdtempSync(join(tmpdir(), "bench-search-"));
  const key = "vd_bench_key_0123456789abcdef";
  const engine = await createEngine({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    sipPort: null,
    apiKey: key,
    logLevel: "silent",
    rateLimitPerMinute: 100_000_000,
  });
  await engine.start();
  const results: (string | number)[][] = [];
  const seeded = { seconds: 0 };
  try {
    const h = seedCallHistory(engine.store, rows);
    seeded.seconds = h.seconds;
    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(engine.url + path, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { pagination?: { total: number } };
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - t0, total: body.pagination?.total ?? 0 };
    };
    const scenarios: [string, string][] = [
      ["first page, no search", "/api/v1/calls"],
      [`q=${h.rareWord} (one call)`, `/api/v1/calls?q=${h.rareWord}`],
      [`q=${h.commonWord} (a transcript word)`, `/api/v1/calls?q=${h.commonWord}`],
      ["q=reception robin (assistant name)", "/api/v1/calls?q=reception%20robin"],
      [
        `q=${h.newestCaller.slice(0, 9)} (number prefix)`,
        `/api/v1/calls?q=${encodeURIComponent(h.newestCaller.slice(0, 9))}`,
      ],
      ["q=sales (number name + assistant)", "/api/v1/calls?q=sales"],
      ["q=cancel appointment (two words)", "/api/v1/calls?q=cancel%20appointment"],
      ["q=invoice&status=ended&offset=1000", `/api/v1/calls?q=${h.commonWord}&status=ended&offset=1000`],
      ["q=+3161 (prefix of every caller)", "/api/v1/calls?q=%2B3161"],
    ];
    for (const [name, path] of scenarios) {
      const first = await get(path);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await get(path)).ms);
      times.sort((a, b) => a - b);
      results.push([
        name,
        first.total,
        first.ms,
        percentile(times, 50),
        percentile(times, 90),
        times[times.length - 1],
      ]);
    }
  } finally {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    `\nGET /api/v1/calls?q= on ${rows.toLocaleString("en")} calls (seeded in ${seeded.seconds.toFixed(0)} s) — ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}, ${runs} runs per row after a first one\n`,
  );
  console.log(table(["query", "total", "first ms", "p50 ms", "p90 ms", "max ms"], results));
  console.log("\ntarget: first page ≤ 1000 ms, search ≤ 200 ms");
}
