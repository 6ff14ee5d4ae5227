import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { rtpCallAudio } from "../../main/engine/media/call-audio.js";
import type { CallLeg } from "../../main/engine/calls/control.js";

/** A frame the caller received, with when it arrived (performance.now) and its loudness. */
export interface HeardFrame {
  at: number;
  rms: number;
  pcm: Int16Array;
}

/**
 * Two real RTP sessions over loopback UDP with PCMU: the engine's side becomes a CallLeg for the voice
 * pipeline, the other side is the caller (plays WAV audio, keeps everything it hears with arrival times).
 * No SIP: these tests are about the conversation, and RTP is still on the wire.
 */
export async function rtpPair(): Promise<{
  leg: CallLeg;
  hangups: number;
  transfers: string[];
  transferResult: { ok: boolean };
  /** The engine's side of the call (its RTP port is `ourPort`), and the caller's port. */
  ours: RtpSession;
  ourPort: number;
  theirPort: number;
  caller: {
    play(pcm: Int16Array): number;
    heard: HeardFrame[];
    heardSince(at: number): HeardFrame[];
    digits: string[];
  };
  close(): void;
}> {
  const ours = new RtpSession();
  const theirs = new RtpSession();
  const ourPort = await ours.open("127.0.0.1", { min: 30000, max: 39998 });
  const theirPort = await theirs.open("127.0.0.1", { min: 40000, max: 49998 });
  ours.configure({ address: "127.0.0.1", port: theirPort }, PCMU, 0, 101);
  theirs.configure({ address: "127.0.0.1", port: ourPort }, PCMU, 0, 101);
  const heard: HeardFrame[] = [];
  theirs.on("frame", (f) => {
    let e = 0;
    for (let i = 0; i < f.data.length; i++) e += f.data[i] * f.data[i];
    heard.push({ at: performance.now(), rms: Math.sqrt(e / f.data.length), pcm: f.data.slice() });
  });
  const digits: string[] = [];
  theirs.on("dtmf", (d) => digits.push(d));
  const state = {
    hangups: 0,
    transfers: [] as string[],
    transferResult: { ok: true },
    ours,
    ourPort,
    theirPort,
    leg: null as unknown as CallLeg,
    caller: {
      /** Queues audio; returns performance.now() of the moment its first sample will be sent (next tick, ≤20 ms). */
      play(pcm: Int16Array) {
        theirs.play(pcm);
        return performance.now();
      },
      heard,
      heardSince: (at: number) => heard.filter((h) => h.at >= at),
      digits,
    },
    close() {
      ours.close();
      theirs.close();
    },
  };
  state.leg = {
    audio: rtpCallAudio(ours),
    hangup: async () => {
      state.hangups++;
    },
    transfer: async (d) => {
      state.transfers.push(d);
      return { method: "refer" as const, ok: state.transferResult.ok };
    },
    tap: () => rtpCallAudio(ours),
    sendDtmf: (d) => ours.sendDtmf(d),
    media: ours,
  };
  return state;
}
