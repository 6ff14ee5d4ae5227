import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

const LONG = "We fix leaks. We install boilers. We clear drains. We also do bathrooms.";
const WORD_SAMPLES = 150 * 8;

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

/** The caller asks, and the assistant is 600 ms into a long answer. */
async function midReply(o: Parameters<typeof harness>[0]): Promise<void> {
  h = harness(o);
  h.session.start();
  await h.quiet(400);
  await h.speak(600);
  await h.until(() => h.audio.playedSamples >= 600 * 8);
}

describe("voice session: barge-in", () => {
  it("caller speaks over the reply: playout is held at once, then flushed; the reply is cut and what was heard is stored", async () => {
    await midReply({
      stt: ["Tell me about your services.", "Do you do roofs?"],
      llm: [words(LONG), words("No, sorry.")],
    });
    const heardUpTo = h.audio.playedSamples;
    const firstReply = h.llm.requests[0];
    await h.speak(500);
    // Held within the first window of the caller's speech; stopped generating once it lasted 300 ms.
    expect(h.audio.pauses).toBe(1);
    expect(h.audio.playedSamples).toBe(heardUpTo);
    expect(firstReply.signal.aborted).toBe(true);
    await h.until(() => h.said("assistant").length === 2);

    expect(h.audio.flushes).toBe(1);
    expect(h.record.interruptions).toHaveLength(1);
    const heard = h.record.interruptions[0];
    // 600 ms of a 150 ms-per-word reply: the first sentence and one word of the second.
    expect(heard).toBe("We fix leaks. We");
    expect(h.said("assistant")).toEqual([heard, "No, sorry."]);
    expect(h.said("user")).toEqual(["Tell me about your services.", "Do you do roofs?"]);
    // The model is told what the caller actually heard, not what it wrote.
    expect(h.llm.requests[1].messages.slice(-2)).toEqual([
      { role: "assistant", content: heard },
      { role: "user", content: "Do you do roofs?" },
    ]);
    // Nothing more of the cut reply was played: only the answer after it.
    expect(h.audio.playedSamples).toBe(heardUpTo + 2 * WORD_SAMPLES);
    expect(h.record.metrics.map((m) => m.interrupted)).toEqual([false, true]);
  });

  it("with false_interruption_timeout null the interruption is final at the duration threshold, before any transcript", async () => {
    await midReply({
      assistant: { speech_config: { turn_taking: { false_interruption_timeout: null } } },
      stt: ["Tell me about your services.", "Wait."],
      sttDelayMs: 500,
      llm: [words(LONG), words("Yes?")],
    });
    await h.speak(320);
    expect(h.audio.flushes).toBe(1);
    expect(h.record.interruptions).toHaveLength(1);
    expect(h.stt.requests).toHaveLength(1);
  });

  it("a short sound (a cough) holds playout only for a moment: the caller hears the whole reply", async () => {
    await midReply({ stt: ["Tell me about your services.", ""], llm: [words(LONG)] });
    await h.speak(160);
    expect(h.audio.isPaused).toBe(true);
    await h.quiet(60);
    expect(h.audio.isPaused).toBe(false);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.said("assistant")).toEqual([LONG]);
    expect(h.record.interruptions).toEqual([]);
    expect(h.audio.flushes).toBe(0);
    expect(h.audio.playedSamples).toBe(13 * WORD_SAMPLES);
  });

  it("with interruption_min_words 2, one word is a false interruption: playout resumes and the reply goes on", async () => {
    await midReply({
      assistant: { speech_config: { turn_taking: { interruption_min_words: 2 } } },
      stt: ["Tell me about your services.", "Okay."],
      llm: [words(LONG)],
    });
    await h.speak(400);
    expect(h.audio.isPaused).toBe(true);
    // Generation goes on while the words decide.
    expect(h.llm.requests[0].signal.aborted).toBe(false);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.said("assistant")).toEqual([LONG]);
    expect(h.record.interruptions).toEqual([]);
    expect(h.llm.requests).toHaveLength(1);
  });
});
