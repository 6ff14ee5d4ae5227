import type { VadFactory, VoiceActivityDetector } from "../vad/types.js";

/**
 * A scripted voice activity detector: one window per `windowMs` of audio pushed, whose probability is the
 * next scripted value, or `level` when the script is empty. Answers synchronously, as if inference were
 * instant, so a test decides exactly when the turn detector hears speech.
 */
export class FakeVad implements VoiceActivityDetector {
  readonly windowMs: number;
  /** The probability of windows the script does not cover. */
  level = 0;
  private readonly windowSamples: number;
  private readonly queue: number[] = [];
  private pending = 0;
  private listener: ((p: number) => void) | null = null;
  closed = false;

  constructor(o: { windowMs?: number; sampleRateHz?: number } = {}) {
    this.windowMs = o.windowMs ?? 20;
    this.windowSamples = Math.round(((o.sampleRateHz ?? 8000) * this.windowMs) / 1000);
  }

  /** What the session is given as its VAD: binds this fake to the session's detector. */
  readonly factory: VadFactory = (onProbability) => {
    this.listener = onProbability;
    return this;
  };

  /** Probabilities for the next windows, in order. */
  script(...probabilities: number[]): void {
    this.queue.push(...probabilities);
  }

  push(pcm: Int16Array): void {
    if (this.closed) return;
    this.pending += pcm.length;
    while (this.pending >= this.windowSamples) {
      this.pending -= this.windowSamples;
      this.listener?.(this.queue.length ? this.queue.shift()! : this.level);
    }
  }

  close(): void {
    this.closed = true;
  }
}
