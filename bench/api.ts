// API latency on a large call history: GET /api/v1/calls with filters, 1 and 8 concurrent clients.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Store } from "../main/engine/store/index.js";
import { createEngine } from "../main/engine/index.js";
import { option, percentile, table } from "./lib-stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const DAY = 86_400_000;

/** Seeds `rows` finished calls over the last 365 days, oldest first; 10 % carry a two-line transcript. Cached per size. */
function seed(rows: number, now: number): string {
  const cacheDir = join(here, ".data");
  const cached = join(cacheDir, `calls-v3-${rows}.db`);
  if (existsSync(cached)) return cached;
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "bench-seed-"));
  const store = new Store({ dataDir: dir });
  const insert = store.db
    .prepare(`INSERT INTO calls (id, status, direction, caller_phone, assistant_phone, agent_name, phone_number, end_reason,
    started_at, ended_at, duration_seconds, summary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const message = store.db.prepare("INSERT INTO call_messages (call_id, role, content, at) VALUES (?, ?, ?, ?)");
  const t0 = performance.now();
  const batch = 50_000;
  for (let start = 0; start < rows; start += batch) {
    store.tx(() => {
      for (let i = start; i < Math.min(rows, start + batch); i++) {
        // Rows arrive in time order, as real calls do (rowid order follows created_at).
        const created = new Date(now - 365 * DAY + Math.floor((i / rows) * 365 * DAY)).toISOString();
        const failed = i % 10 === 3;
        const duration = failed ? 0 : 20 + (i % 600);
        const id = `call-${i % 2 ? "inbound" : "outbound"}-${i.toString(36).padStart(8, "0")}`;
        insert.run(
          id,
          failed ? "failed" : "ended",
          i % 2 ? "inbound" : "outbound",
          `+3161${String(i % 10_000_000).padStart(7, "0")}`,
          "+31850835037",
          "Front desk",
          "+31850835037",
          failed ? "sip_error" : "user_hangup",
          created,
          created,
          duration,
          failed ? null : "Caller asked about opening hours.",
          created,
          created,
        );
        if (i % 10 === 0) {
          message.run(id, "assistant", "Good morning, Riverside Dental, how can I help?", created);
          message.run(id, "user", "What are your opening hours on Saturday?", created);
        }
      }
    });
  }
  store.db.exec("ANALYZE");
  store.close();
  copyFileSync(join(dir, "voicedock.db"), cached);
  rmSync(dir, { recursive: true, force: true });
  console.log(`seeded ${rows} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${cached})`);
  return cached;
}

/** Runs the clients in a worker thread (bench/http-load-worker.mjs), so the server keeps a core to itself. */
async function load(port: number, key: string, path: string, clients: number, seconds: number) {
  const { latencies, elapsedS } = await new Promise<{ latencies: number[]; elapsedS: number }>((resolve, reject) => {
    const w = new Worker(join(here, "http-load-worker.mjs"), { workerData: { port, key, path, clients, seconds } });
    w.once("message", resolve);
    w.once("error", reject);
  });
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    rps: latencies.length / elapsedS,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
  };
}

export async function run(args: string[]): Promise<void> {
  const rows = option(args, "rows", 1_000_000);
  const seconds = option(args, "seconds", 5);
  const now = Date.now();
  const source = seed(rows, now);
  const dataDir = mkdtempSync(join(tmpdir(), "bench-api-"));
  copyFileSync(source, join(dataDir, "voicedock.db"));
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
  const port = Number(new URL(engine.url).port);
  const iso = (ms: number) => new Date(ms).toISOString();
  const scenarios = [
    {
      name: "status=ended, last 7 days",
      path: `/api/v1/calls?status=ended&start_date=${iso(now - 7 * DAY)}&end_date=${iso(now)}&limit=100`,
    },
    {
      name: "status=ended, last 30 days",
      path: `/api/v1/calls?status=ended&start_date=${iso(now - 30 * DAY)}&end_date=${iso(now)}&limit=100`,
    },
    { name: "no filter (count over all)", path: "/api/v1/calls?limit=100" },
  ];
  const results: (string | number)[][] = [];
  try {
    for (const s of scenarios) {
      for (const clients of [1, 8]) {
        const r = await load(port, key, s.path, clients, seconds);
        results.push([s.name, clients, r.n, r.rps, r.p50, r.p90, r.p99, r.max]);
      }
    }
  } finally {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    `\nGET /api/v1/calls on ${rows.toLocaleString("en")} calls — ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}, ${seconds} s per row\n`,
  );
  console.log(table(["query", "clients", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"], results));
  console.log("\ntarget: p99 ≤ 10 ms for the filtered query");
}
