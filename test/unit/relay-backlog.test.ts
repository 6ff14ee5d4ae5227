import { describe, expect, it } from "vitest";
import { RtpSender } from "../../main/engine/media/sender.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { callShared, I } from "../../main/engine/media/worker/shared.js";

// Relayed audio (a console's WebRTC leg, a bridged transfer) arrives at the far leg's pace and leaves at
// ours: a backlog built once must not add its length to the rest of the call (issue #16, bench webrtc).
describe("relay backlog", () => {
  const frame = (level: number) => new Int16Array(160).fill(level);
  function sender() {
    const shared = callShared();
    const sent: number[] = [];
    // What each tick sent, before G.711 (which would merge neighbouring levels).
    const s: RtpSender = new RtpSender(shared, () => sent.push(s.pcmOut[0]));
    s.codec = PCMU;
    return { s, sent, queued: () => shared.i32[I.queued] };
  }

  it("drops a standing backlog (three packets after a stall) once, after a second, and keeps the stream whole after", () => {
    const { s, sent, queued } = sender();
    let n = 1000;
    // A stall: three packets arrive at once, then one per tick (each before the tick).
    for (let i = 0; i < 3; i++) s.relay(frame(n++), 1600);
    for (let t = 0; t < 120; t++) {
      s.relay(frame(n++), 1600);
      s.tick();
    }
    expect(queued()).toBe(0);
    expect(s.relayTrimmed).toBe(3 * 160);
    // What went out is in order with one jump of three packets, and now as late as it arrives.
    const jumps = sent.slice(1).map((v, i) => v - sent[i]);
    expect(jumps.filter((j) => j !== 1)).toHaveLength(1);
    expect(sent.at(-1)).toBeGreaterThanOrEqual(n - 2);
  });

  it("keeps what jitter needs: a stream whose queue runs empty now and then loses nothing", () => {
    const { s, sent, queued } = sender();
    let n = 1000;
    for (let t = 0; t < 300; t++) {
      // Every fifth packet comes late, after the tick (the tick sends silence), and two go out together then.
      if (t % 5 !== 4) s.relay(frame(n++), 1600);
      s.tick();
      if (t % 5 === 4) s.relay(frame(n++), 1600);
    }
    expect(s.relayTrimmed).toBe(0);
    // Every packet went out, in order (the last one still queued).
    const out = sent.filter((v) => v >= 1000);
    expect(out).toEqual(Array.from({ length: out.length }, (_, i) => 1000 + i));
    expect(out.length + queued() / 160).toBe(n - 1000);
  });

  it("never trims speech played from the main thread (an assistant's queued reply)", () => {
    const { s, queued } = sender();
    s.play(new Int16Array(8000 * 5).fill(100), 0);
    for (let t = 0; t < 120; t++) s.tick();
    expect(s.relayTrimmed).toBe(0);
    expect(queued()).toBe(8000 * 5 - 120 * 160);
  });
});
