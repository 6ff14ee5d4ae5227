import { I, type CallShared } from "../../media/worker/shared.js";

/** Hysteresis: speech starts above ON and continues down to OFF, so a dip between words does not end it. */
export const SPEECH_ON = 0.5;
export const SPEECH_OFF = 0.35;

/**
 * The VAD thread's side of barge-in: the window in which speech begins holds the call's playout at once,
 * through a word of the tap ring the media worker reads on every tick, instead of after a round trip
 * through the main thread (which a busy machine delays by tens of ms). The main thread judges the same
 * window a moment later with the whole turn logic, holds playout itself if it is a barge-in, and lifts
 * this hold (`OnsetHold.judged`); a hold that is not a barge-in therefore lasts only that moment.
 */
export class OnsetHold {
  private speaking = false;

  constructor(private readonly ring: CallShared) {}

  /**
   * VAD thread: one window's probability; `quiet` when the line's energy says nobody spoke in it (the
   * turn detector then ignores the window, so holding for it would only cut our audio for nothing).
   */
  scored(p: number, endSample: number, quiet: boolean): void {
    if (!this.speaking && p >= SPEECH_ON && !quiet) {
      this.speaking = true;
      Atomics.store(this.ring.i32, I.onsetHoldEnd, endSample);
      Atomics.store(this.ring.i32, I.onsetHold, 1);
    } else if (this.speaking && p < SPEECH_OFF) this.speaking = false;
  }

  /** Main thread: the window ending at `endSample` has been judged; lifts a hold set up to it. */
  static judged(ring: CallShared, endSample: number): void {
    if (Atomics.load(ring.i32, I.onsetHold) === 1 && Atomics.load(ring.i32, I.onsetHoldEnd) <= endSample)
      Atomics.store(ring.i32, I.onsetHold, 0);
  }

  /** Main thread: the detector is gone; nothing of it may hold the call. */
  static lift(ring: CallShared): void {
    Atomics.store(ring.i32, I.onsetHold, 0);
  }
}
