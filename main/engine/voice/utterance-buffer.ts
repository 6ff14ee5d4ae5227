/**
 * Caller audio around one turn: a pre-roll ring of the last moments before the VAD noticed speech
 * (it reports a window late, and the first syllable would be lost), and the utterance itself. Both are
 * allocated once per call: this runs on every 20 ms frame, and growing or concatenating arrays there
 * would make garbage at the frame rate.
 */
export class UtteranceBuffer {
  private readonly ring: Int16Array;
  /** Where the next pre-roll sample goes, and how many valid samples the ring holds. */
  private ringAt = 0;
  private ringLength = 0;
  private readonly utterance: Int16Array;
  private length = 0;

  constructor(
    readonly sampleRateHz: number,
    prerollMs: number,
    maxUtteranceMs: number,
  ) {
    this.ring = new Int16Array(Math.round((sampleRateHz * prerollMs) / 1000));
    this.utterance = new Int16Array(Math.round((sampleRateHz * maxUtteranceMs) / 1000));
  }

  get prerollMs(): number {
    return (this.ring.length / this.sampleRateHz) * 1000;
  }

  /** Samples in the current utterance (the pre-roll included once `begin` moved it in). */
  get samples(): number {
    return this.length;
  }

  /** Audio while nobody is talking: only the most recent pre-roll's worth is kept. */
  pushPreroll(pcm: Int16Array): void {
    const cap = this.ring.length;
    const src = pcm.length > cap ? pcm.subarray(pcm.length - cap) : pcm;
    const first = Math.min(src.length, cap - this.ringAt);
    this.ring.set(src.subarray(0, first), this.ringAt);
    if (first < src.length) this.ring.set(src.subarray(first), 0);
    this.ringAt = (this.ringAt + src.length) % cap;
    this.ringLength = Math.min(cap, this.ringLength + src.length);
  }

  /**
   * Speech started: the utterance restarts with the last `ms` of the pre-roll (all of it by default),
   * oldest sample first. Returns a view of that pre-roll (valid until the next `begin`) for a recognizer
   * that hears only speech segments.
   */
  begin(ms = this.prerollMs): Int16Array {
    const cap = this.ring.length;
    const take = Math.min(this.ringLength, Math.round((this.sampleRateHz * ms) / 1000));
    const start = (this.ringAt - take + cap) % cap;
    const first = Math.min(take, cap - start);
    this.utterance.set(this.ring.subarray(start, start + first), 0);
    this.utterance.set(this.ring.subarray(0, take - first), first);
    this.length = take;
    this.ringLength = 0;
    this.ringAt = 0;
    return this.utterance.subarray(0, this.length);
  }

  /** Speech goes on; past the maximum length the rest is dropped (a minute is more than a turn). */
  append(pcm: Int16Array): void {
    const n = Math.min(pcm.length, this.utterance.length - this.length);
    if (n <= 0) return;
    this.utterance.set(n === pcm.length ? pcm : pcm.subarray(0, n), this.length);
    this.length += n;
  }

  /** The finished utterance as its own array (recognition outlives the next turn), and a fresh start. */
  take(): Int16Array {
    const out = this.utterance.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
