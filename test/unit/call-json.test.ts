import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../main/engine/store/index.js";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { CallList } from "../../main/engine/api/schemas/calls.js";

// GET /calls sends the page SQLite builds as JSON (CallRepo.listJson); it must say exactly what the
// object path (CallRepo.list, the one every other reader uses) says, for every kind of value a call holds.
describe("the call list as JSON from SQLite", () => {
  let dir: string;
  let store: Store;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "vd-calljson-"));
    store = new Store({ dataDir: dir });
    const base = Date.parse("2026-11-20T10:00:00.000Z");
    for (let i = 0; i < 30; i++) {
      const id = `call-${String(i).padStart(2, "0")}`;
      store.calls.create({
        id,
        status: "connecting",
        direction: i % 3 === 0 ? "outbound" : "inbound",
        caller_phone: i % 4 ? `+3161234${String(i).padStart(4, "0")}` : null,
        agent_name: i % 5 ? `Desk "${i}" \\ ünï ✓ 🚀` : null,
        destination: i % 3 === 0 ? "sip:alice@example.com" : null,
        metadata:
          i % 2 ? { crm: { id: i, tags: ["a", "b"], ratio: 0.25, nothing: null }, note: 'line1\nline2\t"q"' } : null,
        created_at: new Date(base + i * 60_000).toISOString(),
      });
      if (i % 2 === 0) {
        store.calls.addMessage(id, {
          role: "assistant",
          content: "Hello, how can I help?",
          at: new Date(base + i * 60_000 + 1000).toISOString(),
        });
        store.calls.addMessage(id, {
          role: "user",
          content: `Control \u0001 and emoji 😀 and quote " and backslash \\ #${i}`,
          at: new Date(base + i * 60_000 + 2000).toISOString(),
        });
      }
      store.calls.update(id, {
        status: i % 7 === 0 ? "failed" : "ended",
        end_reason: i % 7 === 0 ? "sip_error" : "user_hangup",
        error: i % 7 === 0 ? "busy" : null,
        ringing_at: i % 3 === 0 ? new Date(base + i * 60_000 - 4000).toISOString() : null,
        started_at: new Date(base + i * 60_000).toISOString(),
        ended_at: new Date(base + i * 60_000 + 30_000).toISOString(),
        duration_seconds: 30 + i,
        summary: i % 2 ? null : "Caller asked about opening hours.",
        analysis_result: i % 3 ? null : { booked: i % 2 === 0, score: 4.5, items: [1, 2, 3] },
        metrics: i % 4 ? null : { turns: [{ voice_to_voice_ms: 643.4, stt_ms: 95 }], interruptions: 1 },
      });
    }
    // Live calls keep no stored JSON (migration 006): the page builds theirs, and must say the same.
    for (let i = 0; i < 4; i++) {
      const id = `live-${i}`;
      store.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612340000",
        agent_name: `Desk "${i}" ✓`,
        metadata: i % 2 ? { note: "a\nb" } : null,
        created_at: new Date(base + (i * 7 + 3) * 60_000).toISOString(),
      });
      if (i > 0)
        store.calls.update(id, {
          status: "in-progress",
          started_at: new Date(base + (i * 7 + 3) * 60_000 + 500).toISOString(),
          ringing_at: i === 2 ? new Date(base).toISOString() : null,
        });
      for (let n = 0; n < i * 3; n++)
        store.calls.addMessage(id, {
          role: n % 2 ? "user" : "assistant",
          content: `line ${n} "q" 😀`,
          at: new Date(base + n).toISOString(),
        });
      if (i === 3) store.calls.mergeMetrics(id, { media: { packets: 10 } });
    }
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const filters = [
    { limit: 100, offset: 0 },
    { limit: 7, offset: 3 },
    { limit: 100, offset: 0, status: "failed" },
    { limit: 100, offset: 0, start_date: "2026-11-20T10:05:00.000Z", end_date: "2026-11-20T10:20:00.000Z" },
    { limit: 5, offset: 100 },
  ];

  const matchesSchema = addFormats.default(new Ajv({ strict: false })).compile(CallList);

  it.each(filters)("equals the object path byte for byte: %o", (filter) => {
    const { calls, total } = store.calls.list(filter);
    const body = store.calls.listJson(filter);
    expect(body).toBe(JSON.stringify({ calls, pagination: { total, limit: filter.limit, offset: filter.offset } }));
    expect(matchesSchema(JSON.parse(body)), JSON.stringify(matchesSchema.errors)).toBe(true);
  });

  it("stores the JSON of finished calls only, and live calls' lines cost no rebuild", () => {
    const stored = (id: string) =>
      store.db.prepare("SELECT api_json FROM calls WHERE id = ?").pluck().get(id) as string | null;
    expect(stored("live-3")).toBeNull();
    expect(
      JSON.parse(store.calls.listJson({ limit: 100, offset: 0 })).calls.find((c: { id: string }) => c.id === "live-3")
        .messages,
    ).toHaveLength(9);
    expect(JSON.parse(stored("call-04")!).messages).toHaveLength(2);
  });

  it("carries every message of a call in the order they were said", () => {
    const page = JSON.parse(store.calls.listJson({ limit: 100, offset: 0 }));
    const one = page.calls.find((c: { id: string }) => c.id === "call-04");
    expect(one.messages.map((m: { role: string }) => m.role)).toEqual(["assistant", "user"]);
    expect(page.calls.find((c: { id: string }) => c.id === "call-05").messages).toEqual([]);
  });
});

describe("migration 003 on a database that already has calls", () => {
  it("fills in the JSON of every existing call, transcript included", async () => {
    const Database = (await import("better-sqlite3")).default;
    const { migrations } = await import("../../main/engine/store/migrations/index.js");
    const db = new Database(":memory:");
    for (const m of migrations.filter((x) => x.version < 3)) db.exec(m.sql);
    db.prepare(
      "INSERT INTO calls (id, status, direction, agent_name, metadata, created_at, updated_at) VALUES ('old-1', 'ended', 'inbound', 'Desk', '{\"a\":[1,2]}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')",
    ).run();
    db.prepare(
      "INSERT INTO call_messages (call_id, role, content, at) VALUES ('old-1', 'user', 'Hi \"there\"', '2026-01-01T00:00:00.500Z')",
    ).run();
    db.exec(migrations.find((x) => x.version === 3)!.sql);
    const call = JSON.parse(db.prepare("SELECT api_json FROM calls WHERE id = 'old-1'").pluck().get() as string);
    expect(call).toMatchObject({
      id: "old-1",
      status: "ended",
      agent_name: "Desk",
      assistant_name: "Desk",
      metadata: { a: [1, 2] },
      analysis_result: null,
      messages: [{ role: "user", content: 'Hi "there"', at: "2026-01-01T00:00:00.500Z" }],
    });
    db.close();
  });
});

describe("migration 006 on a database that already has calls", () => {
  it("drops the stored JSON of live calls, keeps finished ones', and builds it when a live call ends", async () => {
    const Database = (await import("better-sqlite3")).default;
    const { migrations } = await import("../../main/engine/store/migrations/index.js");
    const db = new Database(":memory:");
    for (const m of migrations.filter((x) => x.version < 6)) db.exec(m.sql);
    const insert = db.prepare(
      "INSERT INTO calls (id, status, direction, created_at, updated_at) VALUES (?, ?, 'inbound', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    );
    insert.run("done", "ended");
    insert.run("going", "in-progress");
    db.exec(migrations.find((x) => x.version === 6)!.sql);
    const stored = (id: string) =>
      db.prepare("SELECT api_json FROM calls WHERE id = ?").pluck().get(id) as string | null;
    expect(JSON.parse(stored("done")!)).toMatchObject({ id: "done", status: "ended" });
    expect(stored("going")).toBeNull();
    db.prepare(
      "INSERT INTO call_messages (call_id, role, content, at) VALUES ('going', 'user', 'Hi', '2026-01-01T00:00:01.000Z')",
    ).run();
    expect(stored("going")).toBeNull();
    db.prepare("UPDATE calls SET status = 'ended' WHERE id = 'going'").run();
    expect(JSON.parse(stored("going")!)).toMatchObject({
      status: "ended",
      messages: [{ role: "user", content: "Hi" }],
    });
    db.prepare(
      "INSERT INTO call_messages (call_id, role, content, at) VALUES ('going', 'assistant', 'Bye', '2026-01-01T00:00:02.000Z')",
    ).run();
    expect(JSON.parse(stored("going")!).messages).toHaveLength(2);
    db.close();
  });
});
