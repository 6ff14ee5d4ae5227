import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { waitFor } from "../../helpers/wait.js";

/** The events stream as a console opens it (a console is open while it is connected). */
async function openConsole(t: TestEngine): Promise<{ ws: WebSocket; events: any[] }> {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?role=console&api_key=${t.apiKey}`);
  const events: any[] = [];
  ws.on("message", (d) => events.push(JSON.parse(String(d))));
  await waitFor(() => events.some((e) => e.type === "hello"));
  return { ws, events };
}

// Who answers incoming calls (issue #16: do not disturb and the AI toggles): PATCH /settings call_handling.
// A real SIP caller (sipp's uac) calls a number that has no assistant of its own.
describe.skipIf(!hasSipp)("call handling modes (skipped only where sip-tester is not installed)", () => {
  let t: TestEngine;
  let llm: LlmServer;
  let sippPort = 0;
  let fallback = "";

  beforeAll(async () => {
    llm = await startLlmServer(() => ({ text: "Okay." }));
    t = await startTestEngine();
    sippPort = await freeUdpPort();
    const trunk = (
      (await (
        await t.api("/api/v1/sip-trunks", {
          method: "POST",
          json: { name: "caller", host: "127.0.0.1", port: sippPort },
        })
      ).json()) as any
    ).trunk;
    await t.api("/api/v1/numbers", { method: "POST", json: { phone_number: "+15550008888", sip_trunk_id: trunk.id } });
    await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
    fallback = (
      (await (
        await t.api("/api/v1/assistants", {
          method: "POST",
          json: {
            name: "Front desk AI",
            first_message: "Hello, the front desk assistant here.",
            stt_config: { provider: "pocketsphinx", language: "en" },
            llm_config: { provider: "openai_compatible", model: "double", base_url: llm.url },
            tts_config: { provider: "local", voice_id: "flite-kal" },
          },
        })
      ).json()) as any
    ).assistant.id;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await llm?.close();
  });

  const setMode = (call_handling: object) => t.api("/api/v1/settings", { method: "PATCH", json: { call_handling } });

  /** sipp calls the number, holds the call `holdMs` once answered, then hangs up. */
  async function caller(holdMs: number) {
    const sip = t.engine.telephony!.sipAddress!;
    const p = spawn(
      "sipp",
      [
        "-sn",
        "uac",
        "-s",
        "+15550008888",
        "-i",
        "127.0.0.1",
        "-p",
        String(sippPort),
        "-mp",
        String(await freeUdpPort(false)),
        "-d",
        String(holdMs),
        "-m",
        "1",
        "-nostdin",
        "-timeout",
        "30s",
        `127.0.0.1:${sip.port}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.on("exit", (c) => r(c)));
    return { exited, output: () => out, kill: () => p.kill() };
  }
  const latestInbound = () =>
    t.store.calls.list({ limit: 20, offset: 0 }).calls.find((c) => c.direction === "inbound")!;

  it("rejects a mode that needs a fallback assistant without one, and unknown fields, with clear errors", async () => {
    const missing = await setMode({ mode: "ai_answers_all", fallback_assistant_id: null });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ message: expect.stringContaining("fallback_assistant_id") });
    expect((await setMode({ mode: "sometimes" })).status).toBe(400);
    expect((await setMode({ mode: "ring_me", ai_after_seconds: 0 })).status).toBe(400);
    const settings = (await (await t.api("/api/v1/settings")).json()) as any;
    expect(settings.call_handling).toEqual({ mode: "ring_me", ai_after_seconds: 15, fallback_assistant_id: null });
  });

  it("do not disturb (reject): the caller gets 486 Busy Here at once, and the history keeps a missed call", async () => {
    expect((await setMode({ mode: "reject" })).status).toBe(200);
    const { ws } = await openConsole(t);
    try {
      const c = await caller(1000);
      await c.exited;
      expect(c.output()).toMatch(/486/);
      expect(latestInbound()).toMatchObject({ status: "ended", end_reason: "do_not_disturb", started_at: null });
      const missed = (await (await t.api("/api/v1/calls?missed=true")).json()) as any;
      expect(missed.calls.map((x: any) => x.id)).toContain(latestInbound().id);
    } finally {
      ws.close();
    }
  }, 30_000);

  it("AI answers everything: with no console open, the fallback assistant answers a number that has none", async () => {
    expect((await setMode({ mode: "ai_answers_all", fallback_assistant_id: fallback })).status).toBe(200);
    const c = await caller(3000);
    const id = await waitFor(() => {
      const row = latestInbound();
      return row?.status === "in-progress" && row.id;
    }, 10_000);
    expect(t.store.calls.get(id)).toMatchObject({ agent_id: fallback });
    expect(t.engine.calls.liveCall(id)?.owner).toBe("assistant");
    expect(await c.exited, c.output()).toBe(0);
  }, 30_000);

  it("ring me, then AI: the consoles ring for ai_after_seconds, then the assistant answers", async () => {
    expect((await setMode({ mode: "ring_then_ai", ai_after_seconds: 2, fallback_assistant_id: fallback })).status).toBe(
      200,
    );
    const { ws, events } = await openConsole(t);
    try {
      const c = await caller(3000);
      const incoming = await waitFor(() => events.find((e) => e.type === "call.incoming"), 10_000);
      const rangAt = Date.now();
      const id = incoming.call.id as string;
      await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 10_000);
      // Nobody picked up: answered by the assistant after the ring time, not before.
      expect(Date.now() - rangAt).toBeGreaterThan(1500);
      expect(t.engine.calls.liveCall(id)?.owner).toBe("assistant");
      expect(t.store.calls.get(id)!.agent_id).toBe(fallback);
      expect(await c.exited, c.output()).toBe(0);
    } finally {
      ws.close();
    }
  }, 30_000);

  it("ring me, then AI: a person who answers has the call, and can hand it to the assistant", async () => {
    expect((await setMode({ mode: "ring_then_ai", ai_after_seconds: 10 })).status).toBe(200);
    const { ws, events } = await openConsole(t);
    try {
      const c = await caller(6000);
      const incoming = await waitFor(() => events.find((e) => e.type === "call.incoming"), 10_000);
      const id = incoming.call.id as string;
      expect((await t.api(`/api/v1/calls/${id}/answer`, { method: "POST" })).status).toBe(200);
      await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 5000);
      const live = t.engine.calls.liveCall(id)!;
      expect(live.owner).toBe("person");
      expect(live.assistantSpeaks).toBe(false);
      expect(t.store.calls.events(id).some((e) => e.type === "answered_by_person")).toBe(true);
      // A second person cannot take it; the person hands it to the assistant.
      expect((await t.api(`/api/v1/calls/${id}/takeover`, { method: "POST" })).status).toBe(409);
      expect((await t.api(`/api/v1/calls/${id}/handback`, { method: "POST" })).status).toBe(200);
      expect(live.owner).toBe("assistant");
      expect(live.assistantSpeaks).toBe(true);
      expect(await c.exited, c.output()).toBe(0);
    } finally {
      ws.close();
      await setMode({ mode: "ring_me" });
    }
  }, 30_000);
});
