import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { rtpPair } from "../../support/rtp-peer.js";
import { readWav, toTelephoneWav } from "../../support/audio.js";
import { SHARED } from "../../support/kamailio.js";
import { waitFor } from "../../helpers/wait.js";
import type { EngineEvent } from "../../../main/engine/events/bus.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const REPLY = "Okay, I can help with that.";
const SAY = "One moment please, I am checking the calendar.";

/**
 * What the live board and the call page follow on the events stream while a call runs (issue #16 part 5):
 * each reply's latency (`call.turn`), lines a control `say` scripted (`origin: "say"`), and who has the
 * call (`call.owner` on takeover and hand-back). A real RTP caller, PocketSphinx, Flite and a local
 * OpenAI-compatible double; the events are read from the engine's WebSocket, as the console reads them.
 */
describe.skipIf(!hasPocketsphinx)(
  "live call events on the stream (skipped only where pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    let ws: WebSocket;
    const streamed: (EngineEvent & { at: string })[] = [];
    const work = mkdtempSync(join(tmpdir(), "live-events-"));
    const speechWav = join(work, "speech.wav");

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), speechWav, 0, 0.2);
      llm = await startLlmServer(() => ({ text: REPLY }));
      // SIP listening (port 0): takeover and hand-back are offered by an engine that carries calls.
      t = await startTestEngine();
      ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?role=observer&api_key=${t.apiKey}`);
      ws.on("message", (d) => streamed.push(JSON.parse(String(d))));
      await new Promise((r) => ws.once("open", r));
    }, 60_000);

    afterAll(async () => {
      ws?.close();
      await t?.stop();
      await llm?.close();
    });

    const of = <T extends EngineEvent["type"]>(type: T, id: string) =>
      streamed.filter(
        (e): e is Extract<EngineEvent, { type: T }> & { at: string } =>
          e.type === type && "call_id" in e && e.call_id === id,
      );

    it("a reply's latency, a scripted say line, a note, and the takeover and hand-back reach the stream, typed and in the call's log", async () => {
      const id = "call_live_events_1";
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550003000",
        assistant_config: {
          name: "Live events test",
          stt_config: { provider: "pocketsphinx", language: "en" },
          llm_config: {
            provider: "openai_compatible",
            model: "local-test",
            base_url: llm.url,
            messages: [{ role: "system", content: "You are a test assistant." }],
          },
          tts_config: { provider: "local", voice_id: "flite-kal" },
        },
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);
      const control = (json: object) => t.api(`/api/v1/calls/${id}/control`, { method: "POST", json });
      try {
        // The caller speaks; the assistant answers: one `call.turn` with the figures the log keeps.
        pair.caller.play(readWav(speechWav).samples);
        const turn = await waitFor(() => of("call.turn", id)[0], 20_000);
        expect(turn).toMatchObject({
          type: "call.turn",
          call_id: id,
          turn: expect.any(Number),
          recognizer_ms: expect.any(Number),
          interrupted: false,
        });
        expect(turn.voice_to_voice_ms).toBeGreaterThan(0);
        expect(turn.llm_first_token_ms).toBeGreaterThanOrEqual(0);
        expect(turn.tts_first_audio_ms).toBeGreaterThan(0);
        const logged = t.store.calls.events(id).find((e) => e.type === "turn")!.data as Record<string, unknown>;
        expect(logged.voice_to_voice_ms).toBe(turn.voice_to_voice_ms);
        expect(logged.turn).toBe(turn.turn);
        // The model's own line is not marked scripted.
        const reply = await waitFor(() => of("call.message", id).find((e) => e.message.content === REPLY), 10_000);
        expect(reply.origin).toBeUndefined();

        // A control `say`: the assistant's line carries `origin: "say"`; an injected note is a system line.
        expect((await control({ type: "say", content: SAY, end_after: false })).status).toBe(200);
        const said = await waitFor(() => of("call.message", id).find((e) => e.message.content === SAY), 15_000);
        expect(said).toMatchObject({ message: { role: "assistant" }, origin: "say" });
        expect(
          (await control({ type: "inject-context", content: "The caller is a member.", trigger_response: false }))
            .status,
        ).toBe(200);
        const note = await waitFor(() => of("call.message", id).find((e) => e.message.role === "system"), 5000);
        expect(note.message.content).toBe("The caller is a member.");

        // Takeover and hand-back: who has the call, on the stream and in the log.
        expect((await t.api(`/api/v1/calls/${id}/takeover`, { method: "POST" })).status).toBe(200);
        const taken = await waitFor(() => of("call.owner", id)[0], 5000);
        expect(taken).toMatchObject({ type: "call.owner", owner: "person", change: "taken_over" });
        expect((await t.api(`/api/v1/calls/${id}/handback`, { method: "POST" })).status).toBe(200);
        const back = await waitFor(() => of("call.owner", id)[1], 5000);
        expect(back).toMatchObject({ type: "call.owner", owner: "assistant", change: "handed_back" });
        expect(
          t.store.calls
            .events(id)
            .map((e) => e.type)
            .filter((x) => x === "taken_over" || x === "handed_back"),
        ).toEqual(["taken_over", "handed_back"]);
      } finally {
        if (t.store.calls.get(id)?.status === "in-progress")
          t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
        pair.close();
      }
    }, 90_000);
  },
);
