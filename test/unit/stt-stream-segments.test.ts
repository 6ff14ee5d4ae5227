import { describe, expect, it } from "vitest";
import {
  StreamSegments,
  TimedTranscriptParser,
  type Segment,
} from "../../main/engine/providers/stt/stream-segments.js";

const RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz

/** Writes `ms` of audio in 20 ms frames, the session clock advancing with it from `t`. */
function speak(s: StreamSegments, t: number, ms: number): number {
  for (let at = t; at < t + ms; at += 20) s.wrote(FRAME, at);
  return t + ms;
}

describe("streaming recognition: segments find their turn by position in the audio", () => {
  it("parses -time yes output into segments, an empty hypothesis included", () => {
    const out: Segment[] = [];
    const p = new TimedTranscriptParser(RATE, (s) => out.push(s));
    for (const line of [
      "",
      "<s> 0.000 0.340 1.000000",
      "</s> 0.350 0.480 1.000000",
      "in being comparatively modern",
      "<s> 0.800 0.900 0.999600",
      "in 0.910 1.000 0.755533",
      "modern(2) 1.010 2.650 0.581140",
      "</s> 2.660 2.690 1.000000",
    ])
      p.line(line);
    expect(out).toEqual([
      { text: "", start: 0, end: 0.48 * RATE },
      { text: "in being comparatively modern", start: 0.8 * RATE, end: 2.69 * RATE },
    ]);
  });

  it("a recognizer seconds behind: each half of a split turn gets its own words, in order", async () => {
    const s = new StreamSegments(RATE);
    // First half: 1.5 s of speech from t=0, then 100 ms of pause, then the turn is taken (preemptively).
    const end1 = speak(s, 0, 1500);
    speak(s, end1, 100);
    const first = s.take(0, end1, 5000);
    s.wrote(0.35 * RATE, end1 + 100); // the closing silence burst
    // The caller goes on: second half, then its turn is taken too.
    const start2 = end1 + 400;
    const end2 = speak(s, start2, 1500);
    const second = s.take(start2, end2, 5000);
    const order: string[] = [];
    void first.then((t) => order.push(`1:${t.text}`));
    void second.then((t) => order.push(`2:${t.text}`));
    // Only now (late) do the segments come out.
    await Promise.resolve();
    expect(order).toEqual([]);
    s.add({ text: "in being comparatively modern", start: 0, end: 1.75 * RATE });
    s.add({ text: "in being comparatively modern", start: 2.0 * RATE, end: 3.6 * RATE });
    await Promise.all([first, second]);
    expect(order).toEqual(["1:in being comparatively modern", "2:in being comparatively modern"]);
  });

  it("waits for the segment that passes the turn's end; a segment closed mid-turn is not enough", async () => {
    const s = new StreamSegments(RATE);
    const end = speak(s, 0, 2000);
    let text: string | null = null;
    void s.take(0, end, 5000).then((t) => (text = t.text));
    s.add({ text: "hello", start: 0, end: 0.9 * RATE }); // a pause inside the turn closed a segment
    await Promise.resolve();
    expect(text).toBeNull();
    s.add({ text: "there", start: 1.0 * RATE, end: 2.15 * RATE });
    await new Promise((r) => setTimeout(r, 0));
    expect(text).toBe("hello there");
  });

  it("says when the recognizer had the turn's text: on arrival, even when that was before the turn was taken", async () => {
    const s = new StreamSegments(RATE);
    const end = speak(s, 0, 1000);
    s.add({ text: "early", start: 0, end: 1.0 * RATE });
    const arrived = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    const t = await s.take(0, end, 5000);
    expect(t.text).toBe("early");
    expect(t.readyAt).toBeGreaterThanOrEqual(arrived - 5);
    expect(t.readyAt).toBeLessThan(arrived + 5);
    // Asked first, answered later: ready when the segment came.
    const end2 = speak(s, 2000, 500);
    const late = s.take(2000, end2, 5000);
    await new Promise((r) => setTimeout(r, 30));
    const before = performance.now();
    s.add({ text: "late", start: 1.05 * RATE, end: 1.5 * RATE });
    expect((await late).readyAt).toBeGreaterThanOrEqual(before);
  });

  it("gives what it has after the timeout, drops noise from before the turn, and never hands out a segment twice", async () => {
    const s = new StreamSegments(RATE);
    speak(s, 0, 200); // a cough, never a turn
    s.add({ text: "uh", start: 0, end: 0.2 * RATE });
    const start = 1000;
    const end = speak(s, start, 1000);
    s.add({ text: "yes", start: 0.25 * RATE, end: 0.5 * RATE });
    expect((await s.take(start, end, 50)).text).toBe("yes");
    const later = speak(s, 3000, 600);
    s.add({ text: "no", start: 1.25 * RATE, end: 1.7 * RATE });
    expect((await s.take(3000, later, 50)).text).toBe("no");
  });
});
