import { describe, expect, it } from "vitest";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { relayAudio } from "../../main/engine/telephony/transfer.js";
import { waitFor } from "../helpers/wait.js";

/** Two RTP sessions talking to each other over loopback: `near` is ours, `far` the peer's. */
async function pair(): Promise<{ near: RtpSession; far: RtpSession }> {
  const near = new RtpSession();
  const far = new RtpSession();
  const nearPort = await near.open("127.0.0.1", { min: 30000, max: 39998 });
  const farPort = await far.open("127.0.0.1", { min: 40000, max: 49998 });
  near.configure({ address: "127.0.0.1", port: farPort }, PCMU, 0, 101);
  far.configure({ address: "127.0.0.1", port: nearPort }, PCMU, 0, 101);
  return { near, far };
}

const tone = (ms: number) => Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(8000 * Math.sin(i / 4)));

// Issue #18: a bridged transfer's audio is relayed inside the media worker. The proof that the main thread
// is not on the path: while it busy-waits, the target's leg goes on playing the caller's audio (its played
// counter is in shared memory, written by the worker).
describe("bridged relay inside the media worker", () => {
  it("relays the caller's audio and digits to the target, and keeps relaying while the main thread is blocked", async () => {
    const caller = await pair();
    const target = await pair();
    const undo = relayAudio(caller.near, target.near);
    const digits: string[] = [];
    target.far.on("dtmf", (d) => digits.push(d));
    let loud = 0;
    target.far.on("frame", (f) => {
      let e = 0;
      for (let i = 0; i < f.data.length; i++) e += f.data[i] * f.data[i];
      if (Math.sqrt(e / f.data.length) > 2000) loud++;
    });
    try {
      caller.far.play(tone(1500));
      await new Promise((r) => setTimeout(r, 200));
      const before = target.near.playedSamples;
      const from = performance.now();
      while (performance.now() - from < 400) {
        /* the main thread does nothing else */
      }
      const during = target.near.playedSamples - before;
      expect(during, "samples of relayed audio sent while the main thread was blocked").toBeGreaterThanOrEqual(2400);
      await waitFor(() => loud >= 50, 5000);
      caller.far.sendDtmf("5");
      await waitFor(() => digits.includes("5"), 5000);
      // The relay goes both ways.
      const back = caller.near.playedSamples;
      target.far.play(tone(300));
      await waitFor(() => caller.near.playedSamples - back >= 1600, 5000);
      undo();
      await caller.near.settled();
      await waitFor(() => target.near.queuedMs === 0, 5000);
      const after = target.near.playedSamples;
      caller.far.play(tone(300));
      await new Promise((r) => setTimeout(r, 500));
      expect(target.near.playedSamples, "nothing relayed after the undo").toBe(after);
    } finally {
      for (const s of [caller.near, caller.far, target.near, target.far]) s.close();
    }
  }, 20_000);
});
