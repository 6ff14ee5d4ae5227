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
    const window = (p: number) => {
      t += 20;
      vad.script(p);
      d.push(new Int16Array(160));
      states.push(d.state);
    };
    window(0.2);
    window(0.6);
    for (let i = 0; i < 5; i++) window(0.4); // above OFF: speech goes on
    window(0.1);
    window(0.6);
    for (let i = 0; i < 10; i++) window(0.1);
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
    // Endpointing 400 ms: recognition starts 200 ms into the silence; the turn is final at 400 ms.
    expect(d.preemptAfterMs).toBe(200);
    expect(events).toEqual(["started", `ended speech=140 silence=200 at=${t - 200}`]);
    expect(d.finalAt(1000)).toBe(1400);
    expect(d.continuationWaitMs("and then um", t - 200)).toBe(2000 - 200);
    expect(d.continuationWaitMs("That's all.", t - 200)).toBeNull();
    d.close();
    expect(vad.closed).toBe(true);
  });
});
