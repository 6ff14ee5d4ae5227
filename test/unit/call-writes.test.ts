import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Store } from "../../main/engine/store/index.js";
import { FLUSH_DELAY_MS } from "../../main/engine/store/call-writes.js";

// A live call's lines, events and metrics merges are queued (store/call-writes.ts): never written on the
// caller's stack, on disk soon after or before anything reads the call, in the order they were asked.
describe("the call write queue", () => {
  let dir: string;
  let store: Store;
  const onDisk = (table: string) => store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "vd-writes-"));
    store = new Store({ dataDir: dir });
    store.calls.create({ id: "c1", status: "in-progress", direction: "inbound" });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes nothing on the caller's stack, and everything within the flush delay", async () => {
    store.calls.addMessage("c1", { role: "user", content: "Hello", at: "2026-01-01T00:00:00.000Z" });
    store.calls.addEvent("c1", "turn", { voice_to_voice_ms: 600 });
    store.calls.mergeMetrics("c1", { media: { packets: 1 } });
    expect(onDisk("call_messages")).toBe(0);
    expect(onDisk("call_events")).toBe(0);
    await sleep(FLUSH_DELAY_MS + 50);
    expect(onDisk("call_messages")).toBe(1);
    expect(onDisk("call_events")).toBe(1);
    expect(store.db.prepare("SELECT metrics FROM calls WHERE id = 'c1'").pluck().get()).toBe('{"media":{"packets":1}}');
  });

  it("lets readers see the queue, and keeps the order asked across queued and transactional writes", () => {
    store.calls.addEvent("c1", "dtmf", { digit: "1" });
    store.calls.addMessage("c1", { role: "user", content: "one", at: "2026-01-01T00:00:01.000Z" });
    store.calls.mergeMetrics("c1", { a: 1 });
    store.tx(() => {
      store.calls.addEvent("c1", "status", { to: "ended" });
      store.calls.update("c1", { status: "ended", metrics: { ...store.calls.get("c1")!.metrics, b: 2 } });
    });
    store.calls.addEvent("c1", "problem", { message: "late" });
    expect(store.calls.get("c1")).toMatchObject({
      status: "ended",
      metrics: { a: 1, b: 2 },
      messages: [{ content: "one" }],
    });
    expect(store.calls.events("c1").map((e) => e.type)).toEqual(["dtmf", "status", "problem"]);
    expect(
      JSON.parse(store.db.prepare("SELECT api_json FROM calls WHERE id = 'c1'").pluck().get() as string).messages,
    ).toHaveLength(1);
  });

  it("keeps what a full disk refused, reads what is on disk meanwhile, and writes it all once there is room", () => {
    const refused: string[][] = [];
    const landed: string[][] = [];
    store.calls.writes.on("refused", (ids) => refused.push(ids));
    store.calls.writes.on("landed", (ids) => landed.push(ids));
    store.calls.addMessage("c1", { role: "user", content: "before", at: "2026-01-01T00:00:00.000Z" });
    store.calls.writes.flush();
    const pages = store.db.pragma("page_count", { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    for (let i = 0; i < 50; i++)
      store.calls.addMessage("c1", {
        role: "user",
        content: `${i} ${"x".repeat(2000)}`,
        at: "2026-01-01T00:00:01.000Z",
      });
    expect(() => store.calls.writes.flush()).toThrow(expect.objectContaining({ code: "SQLITE_FULL" }));
    expect(refused).toEqual([["c1"]]);
    expect(store.calls.get("c1")!.messages.map((m) => m.content)).toEqual(["before"]);
    expect(store.calls.writes.size).toBe(50);
    expect(() => store.tx(() => undefined)).toThrow(expect.objectContaining({ code: "SQLITE_FULL" }));
    store.db.pragma("max_page_count = 1073741823");
    expect(store.calls.get("c1")!.messages.map((m) => m.content.split(" ")[0])).toEqual([
      "before",
      ...Array.from({ length: 50 }, (_, i) => String(i)),
    ]);
    expect(landed).toEqual([["c1"]]);
    expect(store.calls.writes.size).toBe(0);
  });

  it("writes at once inside a transaction, which belongs to the caller's unit of work", () => {
    store.tx(() => {
      store.calls.addMessage("c1", { role: "assistant", content: "Hi", at: "2026-01-01T00:00:00.000Z" });
    });
    expect(onDisk("call_messages")).toBe(1);
  });

  it("drops only the write whose call is gone, and says so", () => {
    const dropped: string[] = [];
    store.calls.writes.on("dropped", (id) => dropped.push(id));
    store.calls.addEvent("nope", "dtmf", {});
    store.calls.addEvent("c1", "dtmf", {});
    store.calls.writes.flush();
    expect(dropped).toEqual(["nope"]);
    expect(store.calls.events("c1").map((e) => e.type)).toEqual(["dtmf"]);
  });
});
