import { afterAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServe } from "../helpers/cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-durability-"));
const KEY = "vd_test_durability_key_0123456789";
const env = { VOICEDOCK_API_KEY: KEY, VOICEDOCK_RATE_LIMIT: "1000000", VOICEDOCK_LOG_LEVEL: "warn" };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const post = (url: string, path: string, body: unknown) =>
  fetch(url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("durability", () => {
  it("a SIGKILL during writes loses no acknowledged write and leaves an intact database", async () => {
    const first = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
    const assistant = ((await (await post(first.url, "/api/v1/assistants", { name: "seed" })).json()) as any).assistant
      .id as string;
    // A trunk to a port where nothing answers: outbound calls are accepted and stay live until the crash.
    expect(
      (await post(first.url, "/api/v1/sip-trunks", { name: "Nowhere", host: "127.0.0.1", port: 9, register: false }))
        .status,
    ).toBe(201);

    // What each acknowledged write said, to compare with what the database holds after the crash.
    const acknowledged = {
      assistants: [] as { id: string; name: string; first_message: string }[],
      calls: [] as string[],
    };
    let stop = false;
    // 6 writers in parallel: assistants, outbound calls (call row + events + status change) and patches.
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          if (i % 2 === 0) {
            const sent = { name: `w${w}-${i}`, first_message: `${w}:${i}:`.padEnd(2000, "x") };
            const r = await post(first.url, "/api/v1/assistants", sent);
            if (r.status === 201) acknowledged.assistants.push({ id: ((await r.json()) as any).assistant.id, ...sent });
          } else {
            const r = await post(first.url, "/api/v1/calls/outbound", {
              destination: "+31612345678",
              assistant_id: assistant,
            });
            if (r.status === 200) acknowledged.calls.push(((await r.json()) as any).call_id);
          }
        } catch {
          return; // the connection died with the process: that request was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1500));
    first.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(acknowledged.assistants.length + acknowledged.calls.length).toBeGreaterThan(50);

    const check = new Database(join(dataDir, "voicedock.db"));
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();

    const second = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
    try {
      const get = (path: string) => fetch(second.url + path, { headers: { authorization: `Bearer ${KEY}` } });
      const missing: string[] = [];
      const wrong: string[] = [];
      for (const a of acknowledged.assistants) {
        const r = await get(`/api/v1/assistants/${a.id}`);
        if (r.status !== 200) {
          missing.push(a.id);
          continue;
        }
        const stored = ((await r.json()) as any).assistant;
        if (stored.name !== a.name || stored.first_message !== a.first_message) wrong.push(a.id);
      }
      for (const id of acknowledged.calls) {
        const r = await get(`/api/v1/calls/${id}`);
        if (r.status !== 200) {
          missing.push(id);
          continue;
        }
        // Calls cut off by the crash are closed as failed on restart, never left "live", and keep what was stored.
        const call = (await r.json()) as any;
        expect(["failed", "ended"]).toContain(call.status);
        expect(call).toMatchObject({
          direction: "outbound",
          destination: "+31612345678",
          caller_phone: "+31612345678",
          agent_id: assistant,
        });
        expect(call.ended_at).not.toBeNull();
      }
      expect(missing).toEqual([]);
      expect(wrong).toEqual([]);
    } finally {
      second.proc.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    }
    const after = new Database(join(dataDir, "voicedock.db"), { readonly: true });
    expect(after.pragma("integrity_check", { simple: true })).toBe("ok");
    after.close();
  });
});
