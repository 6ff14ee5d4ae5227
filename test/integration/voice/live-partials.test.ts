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
const REPLY = "Okay, I see.";

type Seen = EngineEvent & { at: string; seenAt: number };
type PartialEvent = Extract<EngineEvent, { type: "call.partial" }> & { seenAt: number; at: string };
type MessageEvent = Extract<EngineEvent, { type: "call.message" }> & { seenAt: number; at: string };

const wordsOf = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);
/** Whether `partial`'s words are the first words of `final` (what a streaming recognizer's partial should be). */
const isPrefix = (partial: string, final: string) => {
  const p = wordsOf(partial);
  const f = wordsOf(final);
  return p.length <= f.length && p.every((w, i) => w === f[i]);
};

/**
 * Issue #16 part 5: the caller's words reach the events stream while they are still speaking
 * (`call.partial`), before the final line (`call.message`) that the console puts in their place. A real
 * RTP caller reads 9.6 s of LJ Speech (a long sentence with short pauses at its commas), PocketSphinx listens
 * along as it does on every call, the model is a local OpenAI-compatible double and the voice is Flite; the
 * events are read from the engine's WebSocket, as the console reads them.
 */
describe.skipIf(!hasPocketsphinx)(
  "partial transcripts on a live call (skipped only where pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    let ws: WebSocket;
    const streamed: Seen[] = [];
    const work = mkdtempSync(join(tmpdir(), "live-partials-"));
    const speechWav = join(work, "speech.wav");

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), speechWav, 0, 0.2);
      llm = await startLlmServer(() => ({ text: REPLY }));
      // SIP listening (port 0): takeover is offered by an engine that carries calls.
      t = await startTestEngine();
      ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?role=observer&api_key=${t.apiKey}`);
      ws.on("message", (d) => streamed.push({ ...JSON.parse(String(d)), seenAt: performance.now() }));
      await new Promise((r) => ws.once("open", r));
    }, 60_000);

    afterAll(async () => {
      ws?.close();
      await t?.stop();
      await llm?.close();
    });

    /**
     * One call: the caller reads the sentence once (to the assistant, or to a person who took the call
     * over); resolves once its line(s) and the answer are in, with the events.
     */
    async function call(id: string, turnTaking: Record<string, unknown>, takeover = false) {
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550004000",
        assistant_config: {
          name: "Partials test",
          stt_config: { provider: "pocketsphinx", language: "en" },
          llm_config: {
            provider: "openai_compatible",
            model: "local-test",
            base_url: llm.url,
            messages: [{ role: "system", content: "You are a test assistant." }],
          },
          tts_config: { provider: "local", voice_id: "flite-kal" },
          speech_config: { turn_taking: turnTaking },
        },
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);
      if (takeover) expect((await t.api(`/api/v1/calls/${id}/takeover`, { method: "POST" })).status).toBe(200);
      const samples = readWav(speechWav).samples;
      let lastLoud = samples.length - 1;
      while (lastLoud > 0 && Math.abs(samples[lastLoud]) < 1000) lastLoud--;
      await new Promise((r) => setTimeout(r, 300));
      const sentAt = pair.caller.play(samples);
      const speechEndAt = sentAt + lastLoud / 8;
      const partials = () => streamed.filter((e): e is PartialEvent => e.type === "call.partial" && e.call_id === id);
      const users = () =>
        streamed.filter(
          (e): e is MessageEvent => e.type === "call.message" && e.call_id === id && e.message.role === "user",
        );
      // The whole sentence is a line (or, when a pause ends a turn early, lines) and answered; a person
      // answers nothing, and the scribe's last line comes once a second of quiet ended the caller's speech.
      await waitFor(
        () =>
          users().length > 0 &&
          users().at(-1)!.seenAt > speechEndAt &&
          (takeover ||
            streamed.some((e) => e.type === "call.message" && e.call_id === id && e.message.content === REPLY)),
        40_000,
      );
      await new Promise((r) => setTimeout(r, 500));
      const end = () => {
        if (t.store.calls.get(id)?.status === "in-progress")
          t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
        pair.close();
      };
      return { partials: partials(), users: users(), speechEndAt, end };
    }

    /** What every call must show: partials before their line, each a first part of it, at most 5 a second. */
    function checkLines(partials: PartialEvent[], users: MessageEvent[]): void {
      expect(users.map((u) => u.turn)).toEqual(users.map((_, i) => i + 1));
      for (const u of users) {
        const mine = partials.filter((p) => p.turn === u.turn && p.text);
        const before = mine.filter((p) => p.seenAt < u.seenAt);
        console.log(
          `turn ${u.turn}: ${before.length} partial(s) before the line ${JSON.stringify(u.message.content)}:`,
          before.map((p) => p.text),
        );
        // Display-only text never arrives after the line it led to.
        expect(mine.filter((p) => p.seenAt > u.seenAt)).toEqual([]);
        for (const p of before) expect(isPrefix(p.text, u.message.content), `"${p.text}"`).toBe(true);
        expect(partials.every((p) => p.role === "user" && p.speaker === undefined)).toBe(true);
      }
      const times = partials.map((p) => Date.parse(p.at));
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(190);
    }

    it("PocketSphinx's segments reach the stream while the caller reads one long turn, before its line", async () => {
      // A 1 s endpointing delay keeps the whole sentence one stretch of speech: its words can only come
      // from PocketSphinx's own segments (it closes one at each 0.15 s pause), as the caller speaks.
      const c = await call("call_partials_1", { endpointing_min_delay: 1.0, endpointing_max_delay: 2.0 });
      try {
        checkLines(c.partials, c.users);
        const first = c.users[0]!;
        const early = c.partials.filter((p) => p.text && p.turn === first.turn && p.seenAt < c.speechEndAt);
        expect(early.length, "partials while the caller was still speaking").toBeGreaterThanOrEqual(1);
        // They grow: the last one holds more words than the first.
        expect(wordsOf(early.at(-1)!.text).length).toBeGreaterThanOrEqual(wordsOf(early[0]!.text).length);
      } finally {
        c.end();
      }
    }, 90_000);

    it("during a takeover, the scribe's PocketSphinx shows the caller's words to the person as they speak", async () => {
      const c = await call("call_partials_3", {}, true);
      try {
        checkLines(c.partials, c.users);
        expect(c.partials.some((p) => p.text && p.seenAt < c.speechEndAt)).toBe(true);
      } finally {
        c.end();
      }
    }, 90_000);

    it("with the default endpointing, the turn so far (its recognized stretches) shows before the line", async () => {
      const c = await call("call_partials_2", {});
      try {
        checkLines(c.partials, c.users);
        const first = c.users[0]!;
        const before = c.partials.filter((p) => p.text && p.turn === first.turn && p.seenAt < first.seenAt);
        expect(before.length).toBeGreaterThanOrEqual(1);
        // The caller's pauses end stretches of speech well before the sentence does: its first words are
        // on screen while they are still reading.
        expect(c.partials.some((p) => p.text && p.seenAt < c.speechEndAt)).toBe(true);
      } finally {
        c.end();
      }
    }, 90_000);
  },
);
