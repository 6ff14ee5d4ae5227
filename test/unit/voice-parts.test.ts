import { describe, expect, it } from "vitest";
import { UtteranceBuffer } from "../../main/engine/voice/utterance-buffer.js";
import { TurnDetector, type TurnState } from "../../main/engine/voice/turn-detector.js";
import { voiceAssistant } from "../../main/engine/voice/assistant-config.js";
import { FakeVad } from "../../main/engine/providers/fake/index.js";

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe("utterance buffer", () => {
  it("keeps only the last pre-roll's worth, oldest first, across ring wrap-arounds", () => {
    // 1 kHz and 10 ms of pre-roll: a ring of 10 samples.
    const b = new UtteranceBuffer(1000, 10, 100);
    b.pushPreroll(ramp(0, 7));
    b.pushPreroll(ramp(7, 7));
    b.pushPreroll(ramp(14, 3));
    expect(Array.from(b.begin())).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    b.append(ramp(17, 5));
    expect(Array.from(b.take())).toEqual(Array.from(ramp(7, 15)));
    expect(b.samples).toBe(0);
  });

  it("a frame longer than the pre-roll keeps its tail; the utterance stops at its maximum instead of growing", () => {
    const b = new UtteranceBuffer(1000, 4, 10);
    b.pushPreroll(ramp(0, 9));
    expect(Array.from(b.begin())).toEqual([5, 6, 7, 8]);
    b.append(ramp(100, 4));
    b.append(ramp(200, 4));
    expect(b.samples).toBe(10);
    expect(Array.from(b.take()).slice(-2)).toEqual([200, 201]);
    // After a turn the pre-roll starts empty.
    expect(Array.from(b.begin())).toEqual([]);
  });
});

describe("turn detector", () => {
  it("goes quiet → starting → speaking → stopping → quiet, with hysteresis, and ends speech at the preemptive point", () => {
    const vad = new FakeVad();
    const events: string[] = [];
    let t = 0;
    const tt = voiceAssistant({}, "inbound").turnTaking;
    const d = new TurnDetector(
      tt,
      vad.factory,
      {
        speechStarted: () => events.push("started"),
        speaking: () => undefined,
        pausing: () => undefined,
        speechEnded: (e) => events.push(`ended speech=${e.speechMs} silence=${e.silenceMs} at=${e.endedAt}`),
      },
      () => t,
    );
    const states: TurnState[] = [];
    // Windows the VAD scores at 0.35 or more carry sound; the rest are silent, as on a quiet line.
    const window = (p: number) => {
      t += 20;
      vad.script(p);
      d.push(new Int16Array(160).fill(p >= 0.35 ? 3000 : 0));
      states.push(d.state);
    };
    window(0.2);
    window(0.6);
    for (let i = 0; i < 5; i++) window(0.4); // above OFF: speech goes on
    window(0.1);
    window(0.6);
    for (let i = 0; i < 5; i++) window(0.1);
    expect(states.slice(0, 8)).toEqual([
      "quiet",
      "starting",
      "starting",
      "starting",
      "starting",
      "starting",
      "speaking",
      "stopping",
    ]);
    expect(states.at(-2)).toBe("stopping");
    expect(states.at(-1)).toBe("quiet");
    // Endpointing 400 ms: recognition starts 100 ms into the silence; the turn is final at 400 ms, or
    // at 200 ms when the recognizer's text is a finished sentence.
    expect(d.preemptAfterMs).toBe(100);
    expect(events).toEqual(["started", `ended speech=140 silence=100 at=${t - 100}`]);
    expect(d.finalAt(1000)).toBe(1400);
    expect(d.finalAt(1000, "that's all")).toBe(1400);
    expect(d.finalAt(1000, "That's all.")).toBe(1200);
    expect(d.finalAt(1000, "that's all", 0.9)).toBe(1200);
    expect(d.finalAt(1000, "I'd like to", 0.99)).toBe(1400);
    expect(d.continuationWaitMs("and then um", t - 100)).toBe(2000 - 100);
    expect(d.continuationWaitMs("I'd like to book a", t - 100)).toBe(2000 - 100);
    expect(d.continuationWaitMs("That's all.", t - 100)).toBeNull();
    d.close();
    expect(vad.closed).toBe(true);
  });

  it("ends the pause at the last loud sound when the line is quiet, before the VAD's probability has decayed", () => {
    const vad = new FakeVad({ windowMs: 32 });
    const ended: { endedAt: number; releasedAt: number }[] = [];
    let t = 0;
    const d = new TurnDetector(
      voiceAssistant({}, "inbound").turnTaking,
      vad.factory,
      {
        speechStarted: () => undefined,
        speaking: () => undefined,
        pausing: () => undefined,
        speechEnded: (e) => ended.push(e),
      },
      () => t,
    );
    // 20 ms frames; the VAD scores 32 ms windows. Speech for 400 ms, then silence the VAD still rates
    // as speech (Silero's probability decays over several windows after the last word).
    vad.level = 0.9;
    for (; t < 400;) {
      t += 20;
      d.push(new Int16Array(160).fill(3000));
    }
    vad.level = 0.8;
    for (; t < 1000 && !ended.length;) {
      t += 20;
      d.push(new Int16Array(160));
    }
    // Without the energy check 0.8 would hold the turn open for ever.
    expect(ended).toHaveLength(1);
    expect(ended[0].endedAt).toBe(400);
    expect(ended[0].releasedAt - 400).toBeLessThanOrEqual(2 * 32);
    d.close();
  });

  it("leaves a noisy line's pause to the VAD: its release, one window back, is the end of speech", () => {
    const vad = new FakeVad({ windowMs: 32 });
    const ended: number[] = [];
    let t = 0;
    const d = new TurnDetector(
      voiceAssistant({}, "inbound").turnTaking,
      vad.factory,
      {
        speechStarted: () => undefined,
        speaking: () => undefined,
        pausing: () => undefined,
        speechEnded: (e) => ended.push(e.endedAt),
      },
      () => t,
    );
    vad.level = 0.9;
    for (; t < 400;) {
      t += 20;
      d.push(new Int16Array(160).fill(3000));
    }
    vad.level = 0.1; // noise at −20 dBFS the VAD knows is not speech
    for (; t < 1000 && !ended.length;) {
      t += 20;
      d.push(new Int16Array(160).fill(3000));
    }
    expect(ended).toHaveLength(1);
    expect(ended[0]).toBeGreaterThanOrEqual(400 - 32);
    expect(ended[0]).toBeLessThan(440);
    d.close();
  });

  it("leaves the first 300 ms of speech to the VAD: a gap between a barge-in's first words is no pause", () => {
    const vad = new FakeVad({ windowMs: 32 });
    const pauses: number[] = [];
    let t = 0;
    const d = new TurnDetector(
      voiceAssistant({}, "inbound").turnTaking,
      vad.factory,
      {
        speechStarted: () => undefined,
        speaking: () => undefined,
        pausing: (silenceMs) => pauses.push(silenceMs),
        speechEnded: () => undefined,
      },
      () => t,
    );
    vad.level = 0.9;
    for (; t < 100;) {
      t += 20;
      d.push(new Int16Array(160).fill(3000));
    }
    for (; t < 200;) {
      t += 20;
      d.push(new Int16Array(160));
    } // 100 ms of quiet the VAD still calls speech
    expect(pauses).toEqual([]);
    expect(d.state).toBe("speaking");
    d.close();
  });
});
