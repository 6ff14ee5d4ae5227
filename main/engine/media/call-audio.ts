import type { RtpSession } from "./rtp-session.js";
import { mediaClock, type MediaClock } from "./clock.js";

/** What a conversation needs from a call leg: caller audio in, agent audio out, both 8 kHz mono PCM. */
export interface CallAudio {
  onFrame(listener: (pcm: Int16Array) => void): () => void;
  play(pcm: Int16Array): void;
  /** Drops queued agent audio (barge-in). */
  flush(): void;
  /** Holds playout, keeping the queue (a possible barge-in). */
  pause(): void;
  resume(): void;
  /** Samples of queued agent audio sent so far (monotonic). */
  readonly playedSamples: number;
  /** Resolves with performance.now() once `sample` samples have been sent; at once after a flush or close. */
  whenPlayed(sample: number): Promise<number>;
  close(): void;
}

/**
 * CallAudio over an RtpSession. Playout progress is read on the same 20 ms clock tick that sends the
 * packets (this listener is added after the session's own), so `whenPlayed` resolves on the tick whose
 * packet carried the sample: that is the "first RTP packet of the reply" of the turn metrics.
 */
export function rtpCallAudio(rtp: RtpSession, clock: MediaClock = mediaClock): CallAudio {
  const waiters: { sample: number; resolve: (t: number) => void }[] = [];
  const releaseAll = () => { const now = performance.now(); for (const w of waiters.splice(0)) w.resolve(now); };
  const removeTick = clock.add(() => {
    if (!waiters.length) return;
    const played = rtp.playedSamples;
    const now = performance.now();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (played >= waiters[i].sample) {
        waiters[i].resolve(now);
        waiters.splice(i, 1);
      }
    }
  });
  return {
    onFrame(listener) {
      const l = (f: { data: Int16Array }) => listener(f.data);
      rtp.on("frame", l);
      return () => rtp.off("frame", l);
    },
    play: (pcm) => rtp.play(pcm),
    flush: () => { rtp.flush(); releaseAll(); },
    pause: () => rtp.pause(),
    resume: () => rtp.resume(),
    get playedSamples() { return rtp.playedSamples; },
    whenPlayed(sample) {
      if (rtp.playedSamples >= sample) return Promise.resolve(performance.now());
      return new Promise((resolve) => waiters.push({ sample, resolve }));
    },
    close: () => { removeTick(); releaseAll(); },
  };
}
