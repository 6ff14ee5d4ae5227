import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

describe("voice session: turn-taking", () => {
  it("answers a finished sentence after half the endpointing delay: recognition and the model start early, the reply is heard only once the turn is final", async () => {
    h = harness({
      stt: ["What time do you open?"],
      llm: [words("We open at nine. See you then.", { firstTokenMs: 50, stepMs: 10 })],
    });
    h.session.start();
    await h.quiet(600);
    const speechEnd = await h.speak(800);
    await h.until(() => h.said("assistant").length > 0);

    expect(h.said("user")).toEqual(["What time do you open?"]);
    expect(h.said("assistant")).toEqual(["We open at nine. See you then."]);
    // The utterance holds the pre-roll before the VAD noticed speech, plus the speech itself.
    expect(h.stt.requests).toHaveLength(1);
    expect(h.stt.requests[0].samples).toBeGreaterThanOrEqual(8 * (400 + 800));
    // Preemptive start at 100 ms of silence, recognized 60 ms later...
    expect(h.llm.requests).toHaveLength(1);
    expect(h.llm.requests[0].at - speechEnd).toBe(160);
    // ...and the question mark makes the turn final at 200 ms instead of 400: nothing plays before.
    const firstSound = h.audio.soundAt[0];
    expect(firstSound - speechEnd).toBeGreaterThanOrEqual(200);
    expect(h.tts.requests).toEqual(["We open at nine.", "See you then."]);
    const user = h.record.messages.find((m) => m.role === "user")!;
    expect(user.at - speechEnd).toBeGreaterThanOrEqual(200);

    expect(h.record.metrics).toHaveLength(1);
    const m = h.record.metrics[0];
    expect(m).toMatchObject({
      turn: 1,
      preempt_ms: 100,
      stt_ms: 60,
      recognizer_ms: 60,
      interrupted: false,
      vad_tail_ms: 20,
    });
    // Measured: the reply was ready at 160 + 50 + 30 = 240 ms, after the turn was final.
    expect(m.endpointing_ms).toBe(200);
    expect(m.llm_first_token_ms).toBe(50);
    expect(m.tts_first_audio_ms).toBe(30);
    expect(m.hold_ms).toBe(0);
    expect(m.voice_to_voice_ms).toBeGreaterThanOrEqual(240);
    expect(m.voice_to_voice_ms).toBeLessThanOrEqual(280); // the next 20 ms ticks send it
    expect(m.overhead_ms).toBe(m.voice_to_voice_ms! - 60 - 50 - 30);
  });

  it("waits the whole endpointing delay when the recognizer cannot tell (no punctuation, no confidence)", async () => {
    h = harness({ stt: ["what time do you open"], sttDelayMs: 20, llm: [words("At nine.", { firstTokenMs: 20 })] });
    h.session.start();
    await h.quiet(400);
    const speechEnd = await h.speak(600);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.audio.soundAt[0] - speechEnd).toBeGreaterThanOrEqual(400);
    expect(h.audio.soundAt[0] - speechEnd).toBeLessThan(440);
    // The reply was ready long before and held: the wait is the measured endpointing, not a constant.
    expect(h.record.metrics[0].endpointing_ms).toBe(400);
    expect(h.record.metrics[0].hold_ms).toBeGreaterThan(200);
  });

  it("lets a confident final end the turn sooner", async () => {
    h = harness({
      stt: ["what time do you open"],
      sttDelayMs: 20,
      sttConfidence: 0.95,
      llm: [words("At nine.", { firstTokenMs: 20 })],
    });
    h.session.start();
    await h.quiet(400);
    const speechEnd = await h.speak(600);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.audio.soundAt[0] - speechEnd).toBeGreaterThanOrEqual(200);
    expect(h.audio.soundAt[0] - speechEnd).toBeLessThan(240);
  });

  it("does not answer into a mid-sentence pause the recognizer shows unfinished ('I'd like to'), even when confident", async () => {
    h = harness({
      stt: ["I'd like to", "book a table for two."],
      sttConfidence: 0.99,
      llm: [words("For when?", { firstTokenMs: 20 })],
    });
    h.session.start();
    await h.quiet(400);
    await h.speak(600);
    await h.quiet(700); // past the 400 ms delay: only the dangling "to" holds the turn open
    expect(h.llm.requests).toHaveLength(0);
    expect(h.audio.soundAt).toHaveLength(0);
    await h.speak(800);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.llm.requests).toHaveLength(1);
    expect(h.said("user")).toEqual(["I'd like to book a table for two."]);
  });

  it("never leaves a turn unanswered when a cough cancels its early reply", async () => {
    h = harness({
      stt: ["Can you call me back"],
      llm: [words("Of course.", { firstTokenMs: 200 }), words("Of course.", { firstTokenMs: 20 })],
    });
    h.session.start();
    await h.quiet(400);
    await h.speak(600);
    await h.quiet(250); // the early reply is being prepared
    expect(h.llm.requests).toHaveLength(1);
    await h.speak(60); // a cough: too short for a turn, but it cancelled the reply
    expect(h.llm.requests[0].signal.aborted).toBe(true);
    await h.until(() => h.said("assistant").length > 0, 3000);
    expect(h.said("user")).toEqual(["Can you call me back"]);
    expect(h.said("assistant")).toEqual(["Of course."]);
  });

  it("ignores a click shorter than a turn, and never answers silence", async () => {
    h = harness({ stt: ["should not be asked"] });
    h.session.start();
    await h.quiet(400);
    await h.speak(60);
    await h.quiet(2000);
    expect(h.stt.requests).toHaveLength(0);
    expect(h.llm.requests).toHaveLength(0);
    expect(h.audio.soundAt).toHaveLength(0);
  });

  it("keeps listening when the caller trails off ('…and'), up to the maximum endpointing delay", async () => {
    h = harness({
      assistant: { speech_config: { turn_taking: { endpointing_min_delay: 0.4, endpointing_max_delay: 2 } } },
      stt: ["I need a plumber and"],
      llm: [words("Sure, what is the problem?")],
    });
    h.session.start();
    await h.quiet(400);
    const speechEnd = await h.speak(600);
    await h.until(() => h.llm.requests.length > 0);
    // Not at the 200 ms preemptive point: the words say the caller is not done.
    expect(h.now() - speechEnd).toBeGreaterThanOrEqual(2000);
  });

  it("greets with first_message before anything else", async () => {
    h = harness({ assistant: { first_message: "Hello, Acme Plumbing." } });
    h.session.start();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.said("assistant")).toEqual(["Hello, Acme Plumbing."]);
    // Three words at 150 ms each, played in 20 ms packets.
    expect(h.audio.playedSamples).toBe(3 * 150 * 8);
  });
});

describe("voice session: preemptive generation", () => {
  it("drops the early reply when the caller goes on, and answers the whole turn once", async () => {
    h = harness({
      stt: ["I'd like to book", "a table for two."],
      llm: [words("Booking what?", { firstTokenMs: 20 }), words("A table for two, done.", { firstTokenMs: 20 })],
    });
    h.session.start();
    await h.quiet(400);
    await h.speak(600);
    // A pause past the preemptive point (200 ms) but short of the endpointing delay (400 ms).
    await h.quiet(300);
    expect(h.llm.requests).toHaveLength(1);
    const early = h.llm.requests[0];
    expect(early.messages.at(-1)).toEqual({ role: "user", content: "I'd like to book" });
    await h.speak(600);
    // The caller went on: the early request was stopped, nothing of it was heard or stored.
    expect(early.signal.aborted).toBe(true);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.llm.requests).toHaveLength(2);
    expect(h.llm.requests[1].messages.filter((m) => m.role === "user")).toEqual([
      { role: "user", content: "I'd like to book a table for two." },
    ]);
    expect(h.said("user")).toEqual(["I'd like to book a table for two."]);
    expect(h.said("assistant")).toEqual(["A table for two, done."]);
    // "Booking what?" may have been synthesized while it waited, but the caller heard only the answer.
    expect(h.audio.playedSamples).toBe(5 * 150 * 8);
  });

  it("keeps the early reply when the caller stays quiet: it was already synthesized and waiting", async () => {
    h = harness({
      stt: ["Are you open on Sunday?"],
      sttDelayMs: 20,
      llm: [words("Yes, from ten.", { firstTokenMs: 20 })],
    });
    h.session.start();
    await h.quiet(400);
    const speechEnd = await h.speak(600);
    await h.quiet(180);
    // Before the turn is final (200 ms for a finished question) the reply exists but is silent.
    expect(h.tts.requests).toEqual(["Yes, from ten."]);
    expect(h.audio.soundAt).toHaveLength(0);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.audio.soundAt[0] - speechEnd).toBeLessThan(240);
    expect(h.llm.requests).toHaveLength(1);
  });
});
