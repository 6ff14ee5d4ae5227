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

const silent = (extra: Record<string, unknown> = {}) => ({
  autonomous_silence_handling: true,
  speech_config: {
    silence: {
      messages: ["Are you still there?", "Hello?"],
      final_message: "Bye for now.",
      first_check_seconds: 3,
      interval_seconds: 5,
      max_attempts: 2,
    },
  },
  ...extra,
});

describe("voice session: silence watchdog", () => {
  it("prompts after first_check_seconds, again every interval_seconds, then says the final message and hangs up", async () => {
    h = harness({ assistant: silent() });
    const t0 = h.now();
    h.session.start();
    await h.until(() => h.record.hangups.length > 0, 20_000);

    expect(h.said("assistant")).toEqual(["Are you still there?", "Hello?", "Bye for now."]);
    const [first, second, final] = h.record.messages;
    // Spoken from 3 s of silence (stored once played: four words take 600 ms).
    expect(first.at - t0).toBeGreaterThanOrEqual(3000 + 600);
    expect(first.at - t0).toBeLessThan(3000 + 600 + 300);
    // The next checks count from the end of the previous prompt.
    expect(second.at - first.at).toBeGreaterThanOrEqual(5000 + 150);
    expect(second.at - first.at).toBeLessThan(5000 + 150 + 300);
    expect(final.at - second.at).toBeGreaterThanOrEqual(5000);
    expect(h.record.hangups).toEqual([expect.objectContaining({ reason: "silence_timeout", queued: 0 })]);
  });

  it("never prompts while someone talks, and starts over when the caller answers", async () => {
    h = harness({ assistant: silent(), stt: ["Yes, I'm here. Sorry."], llm: [words("No problem. How can I help?")] });
    h.session.start();
    await h.until(() => h.said("assistant").length === 1, 5000);
    expect(h.said("assistant")).toEqual(["Are you still there?"]);
    // The caller talks for longer than the interval: no prompt over them.
    await h.speak(6000);
    await h.until(() => h.said("assistant").length === 2);
    expect(h.said("assistant")[1]).toBe("No problem. How can I help?");
    const answeredAt = h.record.messages.at(-1)!.at;
    await h.until(() => h.said("assistant").length === 3);
    // Back to the first message, after first_check_seconds rather than interval_seconds.
    expect(h.said("assistant")[2]).toBe("Are you still there?");
    expect(h.record.messages.at(-1)!.at - answeredAt).toBeLessThan(5000);
    expect(h.record.hangups).toEqual([]);
  });

  it("without autonomous silence handling nothing is said, however long the silence", async () => {
    h = harness();
    h.session.start();
    await h.quiet(20_000);
    expect(h.tts.requests).toEqual([]);
    expect(h.record.hangups).toEqual([]);
  });

  it("max_duration_seconds ends the call with the end-call message", async () => {
    h = harness({
      assistant: { max_duration_seconds: 4, speech_config: { end_call_message: "We have to stop here." } },
    });
    const t0 = h.now();
    h.session.start();
    await h.until(() => h.record.hangups.length > 0, 10_000);
    expect(h.said("assistant")).toEqual(["We have to stop here."]);
    expect(h.record.hangups[0].reason).toBe("max_duration");
    expect(h.record.hangups[0].at - t0).toBeGreaterThanOrEqual(4000);
  });
});
