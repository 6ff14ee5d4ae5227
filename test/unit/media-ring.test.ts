import { describe, expect, it } from "vitest";
import { callShared, I, RING_SLOTS, ringDrain, ringPush, SLOT_SAMPLES } from "../../main/engine/media/worker/shared.js";

// The ring that carries caller audio from the media worker to the main thread (issue #18).
describe("shared frame ring", () => {
  const frame = (level: number, n = SLOT_SAMPLES) => new Int16Array(n).fill(level);

  it("hands frames over in order with their RTP timestamps, across the wrap, after the consumer was away", () => {
    const s = callShared();
    const out: { level: number; ts: number; n: number }[] = [];
    for (let round = 0; round < 3; round++) {
      // A consumer that was blocked while 200 frames arrived still gets all of them, in order.
      for (let i = 0; i < 200; i++)
        expect(ringPush(s, frame(round * 1000 + i), SLOT_SAMPLES, (round * 200 + i) * 160)).toBe(true);
      ringDrain(s, (pcm, ts) => out.push({ level: pcm[0], ts, n: pcm.length }));
    }
    expect(out).toHaveLength(600);
    out.forEach((f, k) =>
      expect(f).toEqual({ level: Math.floor(k / 200) * 1000 + (k % 200), ts: k * 160, n: SLOT_SAMPLES }),
    );
    expect(s.i32[I.overrun]).toBe(0);
  });

  it("cuts a long packet into 20 ms slots with running timestamps", () => {
    const s = callShared();
    const pcm = new Int16Array(400);
    for (let i = 0; i < 400; i++) pcm[i] = i;
    ringPush(s, pcm, 400, 0xffffff00);
    const got: { first: number; n: number; ts: number }[] = [];
    ringDrain(s, (p, ts) => got.push({ first: p[0], n: p.length, ts }));
    expect(got).toEqual([
      { first: 0, n: 160, ts: 0xffffff00 },
      { first: 160, n: 160, ts: (0xffffff00 + 160) >>> 0 },
      { first: 320, n: 80, ts: (0xffffff00 + 320) >>> 0 },
    ]);
  });

  it("when the main thread stays away longer than the ring holds, the newest frames are dropped and counted, never the ones waiting", () => {
    const s = callShared();
    for (let i = 0; i < RING_SLOTS + 10; i++) ringPush(s, frame(i), SLOT_SAMPLES, i * 160);
    const levels: number[] = [];
    ringDrain(s, (p) => levels.push(p[0]));
    expect(levels).toEqual(Array.from({ length: RING_SLOTS }, (_, i) => i));
    expect(s.i32[I.overrun]).toBe(10);
  });
});
