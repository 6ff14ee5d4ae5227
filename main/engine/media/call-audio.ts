import type { RtpSession } from "./rtp-session.js";
import type { AudioFrame } from "./frame.js";

/** What a conversation needs from a call leg: caller audio in, agent audio out, both 8 kHz mono PCM. */
export interface CallAudio {
  /**
   * Caller frames as the leg hands them on, with their rate and timestamp. The frame's buffer is reused
   * for the next one: a listener that keeps audio copies it.
   */
  onFrame(listener: (frame: AudioFrame) => void): () => void;
  /** Queues agent audio at 8 kHz; a bare array is a piece with no timing of its own (a whole sentence). */
  play(audio: AudioFrame | Int16Array): void;
  /** Drops queued agent audio (barge-in), and ends a pause: what is played next is heard. */
  flush(): void;
  /** Holds playout, keeping the queue (a possible barge-in). */
  pause(): void;
  resume(): void;
  /** Samples of queued agent audio sent so far (monotonic). */
  readonly playedSamples: number;
  /** Resolves with performance.now() once `sample` samples have been sent; at once after a flush or close. */
  whenPlayed(sample: number): Promise<number>;
  close(): void;
  /**
   * When the leg's audio is decoded on another thread (the media worker): copies caller frames into
   * `ring` (a `callShared` buffer) and rings word 0 of `bell` after them, so a third thread (VAD) hears the
   * caller without the main thread. Returns the untap. Legs without it are heard through `onFrame` only.
   */
  tapCallerAudio?(ring: SharedArrayBuffer, bell: SharedArrayBuffer): () => void;
}

/**
 * CallAudio over an RtpSession. `whenPlayed` resolves with the time of the media worker's clock tick
 * whose packet carried the sample (converted to this thread's clock): that is the "first RTP packet of
 * the reply" of the turn metrics.
 */
export function rtpCallAudio(rtp: RtpSession): CallAudio {
  let closed = false;
  const pending = new Set<(t: number) => void>();
  return {
    onFrame(listener) {
      rtp.on("frame", listener);
      return () => rtp.off("frame", listener);
    },
    play(audio) {
      if (audio instanceof Int16Array) {
        rtp.play(audio);
        return;
      }
      if (audio.sampleRateHz !== 8000) throw new Error(`The call leg plays 8 kHz audio, not ${audio.sampleRateHz} Hz`);
      rtp.play(audio.data);
    },
    tapCallerAudio: (ring, bell) => rtp.tapCallerAudio(ring, bell),
    flush: () => rtp.flush(),
    pause: () => rtp.pause(),
    resume: () => rtp.resume(),
    get playedSamples() {
      return rtp.playedSamples;
    },
    whenPlayed(sample) {
      if (closed) return Promise.resolve(performance.now());
      return new Promise((resolve) => {
        pending.add(resolve);
        void rtp.whenPlayed(sample).then((at) => {
          if (pending.delete(resolve)) resolve(at);
        });
      });
    },
    close: () => {
      closed = true;
      const now = performance.now();
      for (const r of pending) r(now);
      pending.clear();
    },
  };
}
