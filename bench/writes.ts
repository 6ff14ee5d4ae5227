// Main-thread cost of a live call's database writes (issue #18 point 3): transcript lines, events and
// metrics merges for one call of 200 messages, the old way (a synchronous commit per write, the call's
// JSON rebuilt by migration 004's triggers) against the new (store/call-writes.ts queue, migration 006),
// and each change alone, all in one run.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrations } from "../main/engine/store/migrations/index.js";
import { CallRepo } from "../main/engine/store/calls.js";
import { FLUSH_DELAY_MS } from "../main/engine/store/call-writes.js";
import { option, percentile, table } from "./lib-stats.js";

type Mode = { name: string; schema: 5 | 6; queued: boolean };
const MODES: Mode[] = [
  { name: "before: sync commit, JSON rebuilt (004)", schema: 5, queued: false },
  { name: "sync commit, live JSON at read (006)", schema: 6, queued: false },
  { name: "queued, JSON rebuilt (004)", schema: 5, queued: true },
  { name: "after: queued, live JSON at read (006)", schema: 6, queued: true },
];

function open(dir: string, schema: number): Database.Database {
  const db = new Database(join(dir, `v${schema}.db`));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  for (const m of migrations.filter((x) => x.version <= schema)) db.exec(m.sql);
  return db;
}

/** Finished calls already in the history, so the database is not empty (the old triggers' cost is per call, not per table). */
function seed(db: Database.Database, calls: number): void {
  const at = "2026-12-01T10:00:00.000Z";
  const call = db.prepare(
    "INSERT INTO calls (id, status, direction, created_at, updated_at) VALUES (?, 'ended', 'inbound', ?, ?)",
  );
  const line = db.prepare(
    "INSERT INTO call_messages (call_id, role, content, at) VALUES (?, 'user', 'What are your opening hours on Saturday?', ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < calls; i++) {
      call.run(`old-${i}`, at, at);
      for (let n = 0; n < 6; n++) line.run(`old-${i}`, at);
    }
  })();
}

interface Sample {
  kind: "message" | "event" | "metrics";
  index: number;
  caller: number;
  share: number;
}

/** One call: `turns` turns of a caller line, an assistant line and the turn's figures; a pause after each turn, as on a call. */
async function runCall(
  mode: Mode,
  db: Database.Database,
  turns: number,
  pauseMs: number,
): Promise<{ samples: Sample[]; end: number }> {
  const repo = new CallRepo(db);
  const id = `live-${mode.schema}-${mode.queued}`;
  repo.create({
    id,
    status: "in-progress",
    direction: "inbound",
    caller_phone: "+31612345678",
    agent_name: "Front desk",
  });
  // The old CallRepo prepared each statement on every write; kept so "before" is what ran.
  const sync = {
    message: (content: string, role: string) =>
      db
        .prepare("INSERT INTO call_messages (call_id, role, content, at) VALUES (?, ?, ?, ?)")
        .run(id, role, content, new Date().toISOString()),
    event: (type: string, data: object) =>
      db
        .prepare("INSERT INTO call_events (call_id, type, data, at) VALUES (?, ?, ?, ?)")
        .run(id, type, JSON.stringify(data), new Date().toISOString()),
    metrics: (m: object) =>
      db.transaction(() => {
        const c = repo.get(id)!;
        repo.update(id, { metrics: { ...(c.metrics ?? {}), ...m } });
      })(),
  };
  const queued = {
    message: (content: string, role: "user" | "assistant") =>
      repo.addMessage(id, { role, content, at: new Date().toISOString() }),
    event: (type: string, data: Record<string, number | string>) => repo.addEvent(id, type, data),
    metrics: (m: Record<string, number>) => repo.mergeMetrics(id, m),
  };
  const samples: Sample[] = [];
  let batch: Sample[] = [];
  const flush = repo.writes.flush.bind(repo.writes);
  // A flush's time is shared by the writes it carried: that is their main-thread cost off the caller's stack.
  repo.writes.flush = () => {
    const t = performance.now();
    flush();
    const ms = performance.now() - t;
    for (const s of batch) s.share = ms / batch.length;
    batch = [];
  };
  const time = (kind: Sample["kind"], fn: () => void) => {
    const t = performance.now();
    fn();
    const s: Sample = { kind, index: samples.length, caller: performance.now() - t, share: 0 };
    samples.push(s);
    if (mode.queued) batch.push(s);
  };
  for (let turn = 0; turn < turns; turn++) {
    time("message", () =>
      (mode.queued ? queued : sync).message(
        `Caller line ${turn}: I would like to move my appointment to Thursday afternoon.`,
        "user",
      ),
    );
    time("message", () =>
      (mode.queued ? queued : sync).message(
        `Assistant line ${turn}: of course, Thursday at three is free, shall I book it?`,
        "assistant",
      ),
    );
    const figures = {
      endpointing_ms: 400,
      stt_ms: 0.2,
      llm_first_token_ms: 303.9,
      tts_first_audio_ms: 16.9,
      voice_to_voice_ms: 562.9,
    };
    time("event", () => (mode.queued ? queued : sync).event("turn", figures));
    if (turn % 10 === 9)
      time("event", () => (mode.queued ? queued : sync).event("interruption", { heard: "Thursday at" }));
    if (turn % 25 === 24)
      time("metrics", () => (mode.queued ? queued : sync).metrics({ [`checkpoint_${turn}`]: turn }));
    await sleep(pauseMs);
  }
  // The end: the fsynced transaction, which now first lands whatever is still queued.
  const t = performance.now();
  db.pragma("synchronous = FULL");
  repo.writes.flush();
  db.transaction(() =>
    repo.update(id, { status: "ended", ended_at: new Date().toISOString(), end_reason: "user_hangup" }),
  )();
  db.pragma("synchronous = NORMAL");
  const end = performance.now() - t;
  if (repo.get(id)!.messages.length !== turns * 2) throw new Error(`${mode.name}: lines missing`);
  return { samples, end };
}

export async function run(args: string[]): Promise<void> {
  const messages = option(args, "messages", 200);
  const rounds = option(args, "rounds", 3);
  const pauseMs = option(args, "pause", FLUSH_DELAY_MS + 10);
  const history = option(args, "history", 2000);
  const rows: (string | number)[][] = [];
  for (const mode of MODES) {
    const all: Sample[] = [];
    const ends: number[] = [];
    // Rounds interleave with the other modes' runs only through the machine's noise; each round is a fresh database.
    for (let r = 0; r < rounds; r++) {
      const dir = mkdtempSync(join(tmpdir(), "bench-writes-"));
      const db = open(dir, mode.schema);
      seed(db, history);
      const { samples, end } = await runCall(mode, db, messages / 2, pauseMs);
      all.push(...samples);
      ends.push(end);
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return [percentile(s, 50), percentile(s, 99), s[s.length - 1]];
    };
    const total = all.map((s) => s.caller + s.share);
    const lines = all.filter((s) => s.kind === "message");
    const mean = (xs: Sample[]) => xs.reduce((a, s) => a + s.caller + s.share, 0) / xs.length;
    const perCall = lines.length / rounds;
    const firstLines = lines.filter((_, i) => i % perCall < 20);
    const lastLines = lines.filter((_, i) => i % perCall >= perCall - 20);
    rows.push([
      mode.name,
      all.length,
      ...stats(all.map((s) => s.caller)),
      ...stats(total),
      mean(firstLines),
      mean(lastLines),
      ...stats(ends).slice(0, 2),
    ]);
  }
  console.log(
    `\nMain-thread cost of one call's writes: ${messages} messages (+ turn events, interruptions, metrics merges), ${rounds} calls per mode, ` +
      `${pauseMs} ms between turns, ${history} finished calls in the history — ${cpus().length} × ${cpus()[0]?.model.trim()}, node ${process.version}\n`,
  );
  console.log(
    table(
      [
        "mode",
        "writes",
        "caller p50 ms",
        "p99",
        "max",
        "main thread p50 ms",
        "p99",
        "max",
        "first 20 lines mean ms",
        "last 20 lines mean ms",
        "end p50 ms",
        "end p99",
      ],
      rows,
    ),
  );
  console.log(
    "\ncaller = time on the writer's stack; main thread = that plus the write's share of the batch flush that carried it.",
  );
}
