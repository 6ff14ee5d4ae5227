import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { startLlmServer, type LlmServer, type ChatRequest } from "../../support/llm-server.js";
import { rtpPair } from "../../support/rtp-peer.js";
import { readWav, toTelephoneWav } from "../../support/audio.js";
import { SHARED } from "../../support/kamailio.js";
import { waitFor } from "../../helpers/wait.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const GREETING =
  "Welcome to the hand back line. This greeting goes on for a good while, so that a person at the console can take the call over while it is still playing.";
const REPLY = "Thank you, I will take it from here and book that for you.";
const SUMMARY = /A human colleague took over the call for \d+ s and has now handed it back to you/;

/**
 * Takeover and hand-back over real RTP (the caller is an RTP session on loopback, PCMU both ways), the
 * person on the console's PCM WebSocket, PocketSphinx writing both sides down, and a local
 * OpenAI-compatible double that records what the model is asked.
 */
describe.skipIf(!hasPocketsphinx)(
  "hand back to the assistant after a takeover (skipped only where pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    const work = mkdtempSync(join(tmpdir(), "handback-"));
    const callerWav = join(work, "caller.wav");
    const personWav = join(work, "person.wav");
    let seq = 0;

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0, 0.2);
      // A console's microphone keeps sending after the words: a second of quiet ends the person's line.
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), personWav, 0.2, 1);
      llm = await startLlmServer(() => ({ text: REPLY }));
      // SIP listening (port 0): the console's audio socket is served only by an engine that carries calls.
      t = await startTestEngine();
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
      await llm?.close();
    });

    async function call() {
      const id = `call_handback_${++seq}`;
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550002000",
        assistant_config: {
          name: "Hand-back test",
          first_message: GREETING,
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
      return { id, pair, row: () => t.store.calls.get(id)! };
    }
    const post = (id: string, action: "takeover" | "handback") =>
      t.api(`/api/v1/calls/${id}/${action}`, { method: "POST" });
    const loud = (frames: { rms: number }[]) => frames.filter((f) => f.rms > 300).length;
    const hasSummary = (r: ChatRequest) => r.messages.some((m) => m.role === "system" && SUMMARY.test(m.content ?? ""));

    it("the person's words reach the caller and are written down with the caller's; after the hand-back the assistant goes on without greeting, and the model is told what was said", async () => {
      const c = await call();
      await waitFor(() => loud(c.pair.caller.heard) > 25, 10_000);

      // Nobody has taken the call over yet: there is nothing to hand back.
      const early = await post(c.id, "handback");
      expect(early.status).toBe(409);
      expect(await early.json()).toMatchObject({
        error: expect.any(String),
        message: expect.stringContaining("not been taken over"),
      });

      expect((await post(c.id, "takeover")).status).toBe(200);
      // One owner at a time.
      const again = await post(c.id, "takeover");
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ message: expect.stringContaining("already taken over") });
      const askedBefore = llm.requests.length;

      // The caller speaks to the person: written down as the caller's line, and the model is not asked.
      c.pair.caller.play(readWav(callerWav).samples);
      const callerLine = await waitFor(() => c.row().messages.find((m) => m.role === "user")?.content, 15_000);
      expect(callerLine).toMatch(/modern|comparative|being/i);

      // The person answers through the console's audio socket, 20 ms frames in real time.
      const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/calls/${c.id}/audio?api_key=${t.apiKey}`);
      let ready: { talk?: boolean } | null = null;
      ws.on("message", (d, isBinary) => {
        if (!isBinary) ready = JSON.parse(String(d));
      });
      await waitFor(() => ready);
      expect(ready).toMatchObject({ type: "ready", talk: true });
      const messagesBefore = c.row().messages.length;
      const sentAt = performance.now();
      const voice = readWav(personWav).samples;
      for (let off = 0; off < voice.length; off += 160) {
        const frame = Buffer.alloc(320);
        for (let i = 0; i < 160 && off + i < voice.length; i++) frame.writeInt16LE(voice[off + i], i * 2);
        ws.send(frame);
        await new Promise((r) => setTimeout(r, 19));
      }
      // The caller heard the person (≥ 0.6 s of speech energy), and no assistant spoke meanwhile.
      await waitFor(() => loud(c.pair.caller.heardSince(sentAt)) > 30, 5000);
      const personLine = await waitFor(
        () =>
          c
            .row()
            .messages.slice(messagesBefore)
            .find((m) => m.role === "assistant")?.content,
        15_000,
      );
      expect(personLine).toMatch(/never|been|surpass/i);
      expect(llm.requests.length).toBe(askedBefore);
      const operatorEvents = t.store.calls.events(c.id).filter((e) => e.type === "operator_line");
      expect(operatorEvents.map((e) => (e.data as { content: string }).content)).toContain(personLine);

      // Hand back: 200, once.
      const back = await post(c.id, "handback");
      expect(back.status).toBe(200);
      expect(await back.json()).toMatchObject({ success: true, call_id: c.id, message: expect.any(String) });
      expect((await post(c.id, "handback")).status).toBe(409);
      expect(t.store.calls.events(c.id).some((e) => e.type === "handed_back")).toBe(true);
      expect(t.engine.calls.liveCall(c.id)!.owner).toBe("assistant");

      // The colleague spoke last: the assistant waits for the caller rather than talking over the moment.
      const handedBackAt = performance.now();
      await new Promise((r) => setTimeout(r, 1500));
      expect(llm.requests.length).toBe(askedBefore);
      expect(loud(c.pair.caller.heardSince(handedBackAt + 100))).toBe(0);

      // The caller speaks: the assistant answers, its greeting not again, and the model knows what happened.
      c.pair.caller.play(readWav(callerWav).samples);
      const req = await waitFor(() => llm.requests.slice(askedBefore).find(hasSummary), 20_000);
      const summary = req.messages.find((m) => m.role === "system" && SUMMARY.test(m.content ?? ""))!.content!;
      expect(summary).toContain(`Colleague: ${personLine}`);
      expect(summary).toContain(`Caller: ${callerLine}`);
      expect(summary).toMatch(/never|been|surpass/i);
      // Its history: the system prompt, then the conversation before the takeover, then the summary.
      expect(req.messages[0]).toMatchObject({ role: "system", content: "You are a test assistant." });
      expect(req.messages.at(-1)).toMatchObject({ role: "user" });
      await waitFor(() => loud(c.pair.caller.heardSince(handedBackAt + 1500)) > 25, 15_000);
      await waitFor(() => c.row().messages.some((m) => m.content === REPLY), 15_000);
      expect(
        c.row().messages.filter((m) => GREETING.startsWith(m.content) && m.role === "assistant").length,
      ).toBeLessThanOrEqual(1);

      ws.close();
      await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
      // An ended call is nobody's to take or give back.
      expect((await post(c.id, "handback")).status).toBe(409);
      expect((await post(c.id, "takeover")).status).toBe(409);
      c.pair.close();
    }, 90_000);

    it("when the caller spoke last, the assistant answers at once after the hand-back", async () => {
      const c = await call();
      await waitFor(() => loud(c.pair.caller.heard) > 25, 10_000);
      expect((await post(c.id, "takeover")).status).toBe(200);
      const asked = llm.requests.length;
      c.pair.caller.play(readWav(callerWav).samples);
      await waitFor(() => c.row().messages.some((m) => m.role === "user"), 15_000);
      expect((await post(c.id, "handback")).status).toBe(200);
      const req = await waitFor(() => llm.requests.slice(asked).find(hasSummary), 10_000);
      expect(req.messages.at(-1)).toMatchObject({ role: "system" });
      await waitFor(() => c.row().messages.some((m) => m.content === REPLY), 15_000);
      await t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
      c.pair.close();
    }, 60_000);
  },
);
