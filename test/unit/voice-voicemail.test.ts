import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

/**
 * Voicemail detection inside a voice session (features.md §2, issue #17), on fakes in simulated time: the
 * scripted VAD stands for Silero, caller "speech" is a 200 Hz tone and a beep a 1 kHz one. The detector's
 * accuracy on real audio is test/integration/amd-accuracy.test.ts.
 */
let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

const MESSAGE = "Hi, this is Acme Dental about your appointment. Please call us back.";
const outbound = (extra: Record<string, unknown> = {}) => ({
  direction: "outbound" as const,
  assistant: {
    first_message: "Hi, this is Acme Dental calling.",
    voicemail_detection: true,
    voicemail_message: MESSAGE,
    ...extra,
  },
});

describe("voice session: voicemail detection", () => {
  it("a person: greeted at once as usual, their first words answered once the detector says human", async () => {
    h = harness({ ...outbound(), stt: ["Hello?"], llm: [words("Great, I'm calling about your appointment.")] });
    const t0 = h.now();
    h.session.start();
    await h.quiet(1200);
    // The greeting did not wait for the detector.
    expect(h.audio.soundAt[0] - t0).toBeLessThan(100);
    await h.speak(500);
    await h.until(() => h.said("assistant").length === 2, 10_000);
    expect(h.said("assistant")).toEqual([
      "Hi, this is Acme Dental calling.",
      "Great, I'm calling about your appointment.",
    ]);
    expect(h.said("user")).toEqual(["Hello?"]);
    expect(h.record.amd).toEqual([expect.objectContaining({ result: "human", reason: "short_greeting" })]);
    expect(h.record.hangups).toEqual([]);
  });

  it("a machine: the assistant stops, the message starts within 500 ms of the beep's end, then it hangs up", async () => {
    h = harness({ ...outbound(), stt: ["Hi, you've reached Mark, please leave a message after the tone."] });
    h.session.start();
    await h.quiet(200);
    await h.speak(3200);
    // Decided on the greeting's length (2.4 s), well before the beep.
    expect(h.record.amd[0]).toMatchObject({ result: "machine", reason: "long_greeting" });
    expect(h.record.amd[0].decision_ms).toBeLessThanOrEqual(2800);
    const flushesAtDecision = h.audio.flushes;
    expect(flushesAtDecision).toBeGreaterThan(0); // the first message was cut
    await h.quiet(400);
    const beepEnd = await h.tone(500, 1000);
    await h.until(() => h.said("assistant").includes(MESSAGE), 2000);
    const spokenAt = h.record.messages.find((m) => m.content === MESSAGE)!.at;
    expect(spokenAt - beepEnd).toBeLessThanOrEqual(500);
    await h.until(() => h.record.hangups.length > 0, 15_000);
    expect(h.record.hangups).toEqual([expect.objectContaining({ reason: "voicemail", queued: 0 })]);
    // The transcript: the greeting (user) and the message (assistant), no reply to the greeting.
    expect(h.said("user")).toEqual(["Hi, you've reached Mark, please leave a message after the tone."]);
    expect(h.said("assistant")).toEqual([MESSAGE]);
    expect(h.llm.requests).toHaveLength(0);
    expect(h.record.amd.at(-1)).toMatchObject({ result: "machine", message: MESSAGE, cue: "beep" });
    expect(h.record.amd.at(-1)!.beep_to_message_ms).toBeLessThanOrEqual(500);
  });

  it("a short greeting is a machine by its words: the transcript rule (first utterance only)", async () => {
    h = harness({ ...outbound(), stt: ["Please leave a message."] });
    h.session.start();
    await h.quiet(200);
    await h.speak(1100);
    await h.until(() => h.record.amd.length > 0, 3000);
    expect(h.record.amd[0]).toMatchObject({ result: "machine", reason: "phrase", phrases: ["leave a message"] });
    // No beep comes: the message follows 2 s of quiet after the greeting.
    await h.until(() => h.record.hangups.length > 0, 15_000);
    expect(h.record.amd.at(-1)).toMatchObject({ message: MESSAGE, cue: "silence" });
    expect(h.record.hangups[0].reason).toBe("voicemail");
  });

  it("a machine with no voicemail_message: hangs up at once, or, decided by length alone, once its words are in", async () => {
    h = harness({ ...outbound({ voicemail_message: null }), stt: ["Please leave a message."] });
    h.session.start();
    await h.quiet(200);
    await h.speak(1100);
    await h.until(() => h.record.hangups.length > 0, 1500);
    expect(h.record.amd.at(-1)).toMatchObject({ result: "machine", reason: "phrase", message: null });
    h.close();

    h = harness({ ...outbound({ voicemail_message: null }), stt: ["You have reached the voicemail of Mark."] });
    h.session.start();
    await h.quiet(200);
    await h.speak(2600);
    expect(h.record.amd[0]).toMatchObject({ result: "machine", reason: "long_greeting" });
    // A screening service talks as long as a recording: its words decide before the call is dropped.
    expect(h.record.hangups).toEqual([]);
    await h.until(() => h.record.hangups.length > 0, 1500);
    expect(h.record.hangups).toEqual([expect.objectContaining({ reason: "voicemail" })]);
    expect(h.record.amd.at(-1)).toMatchObject({ result: "machine", message: null });
    expect(h.said("assistant")).toEqual([]);
  });

  it("a call-screening service: first taken for a machine by its length, then answered like a person once its words are heard", async () => {
    const screener =
      "Hi, the person you're calling is using a screening service from Google and will get a copy of this conversation. Go ahead and say your name and why you're calling.";
    const reply = "Hi, this is Acme Dental calling about Mark's appointment tomorrow.";
    h = harness({ ...outbound(), stt: [screener], llm: [words(reply)] });
    h.session.start();
    await h.quiet(200);
    await h.speak(6500);
    expect(h.record.amd[0]).toMatchObject({ result: "machine", reason: "long_greeting" });
    await h.until(() => h.said("assistant").includes(reply), 10_000);
    expect(h.record.amd).toEqual([
      expect.objectContaining({ result: "machine" }),
      expect.objectContaining({
        result: "screening",
        reason: "screening_phrase",
        phrases: expect.arrayContaining(["say your name and why you're calling"]),
      }),
    ]);
    // The model was told who listens, and answered the screener's question; no voicemail message, no hang-up.
    const system = h.llm.requests[0].messages.filter((m) => m.role === "system").map((m) => m.content);
    expect(system.join("\n")).toMatch(/call-screening service answered/);
    expect(h.said("user")).toEqual([screener]);
    await h.quiet(5000);
    expect(h.said("assistant")).not.toContain(MESSAGE);
    expect(h.record.hangups).toEqual([]);
  });

  it("inbound calls and voicemail_detection: false never run it", async () => {
    h = harness({ ...outbound(), direction: "inbound", stt: ["Please leave a message."], llm: [words("Sure.")] });
    h.session.start();
    await h.speak(3000);
    await h.until(() => h.said("assistant").length === 2, 10_000);
    expect(h.record.amd).toEqual([]);
    expect(h.record.hangups).toEqual([]);
  });
});

describe("voice session: voicemail detection when the line goes dead", () => {
  it("a machine whose audio stops before any beep still gets the message after the bound, and the call ends", async () => {
    h = harness({ ...outbound(), stt: ["You have reached the voicemail of Mark."] });
    h.session.start();
    await h.quiet(200);
    await h.speak(2600);
    expect(h.record.amd[0]).toMatchObject({ result: "machine" });
    // No more caller frames at all (RTP stopped): only timers run.
    await vi.advanceTimersByTimeAsync(31_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.record.amd.at(-1)).toMatchObject({ message: MESSAGE, cue: "timeout" });
    expect(h.record.hangups).toEqual([expect.objectContaining({ reason: "voicemail" })]);
  });
});
