/**
 * Which 5 ms windows of the caller's line carried sound, for the last ~2.5 s, by sample position: the
 * turn detector asks about the very samples a VAD window scored, however late its inference answers
 * (a busy machine delays it by whole windows).
 */
const WINDOW = 40;
const RING = 512;
/** −45 dBFS RMS: above a clean G.711 line's noise, below every speech sound in the test audio. */
const QUIET_RMS = 32768 * 10 ** (-45 / 20);
const QUIET_ENERGY = QUIET_RMS * QUIET_RMS * WINDOW;

export class LineEnergy {
  private readonly loud = new Uint8Array(RING);
  /** Samples pushed so far. */
  fed = 0;

  push(pcm: Int16Array): void {
    for (let at = 0; at < pcm.length; at += WINDOW) {
      const end = Math.min(pcm.length, at + WINDOW);
      let e = 0;
      for (let i = at; i < end; i++) e += pcm[i] * pcm[i];
      this.loud[Math.floor(this.fed / WINDOW) % RING] = e * (WINDOW / (end - at)) >= QUIET_ENERGY ? 1 : 0;
      this.fed += end - at;
    }
  }

  /** True when every 5 ms window of [from, to) was below the floor; false when unknown (too old). */
  quiet(from: number, to: number): boolean {
    if (this.fed - from > (RING - 1) * WINDOW || to <= from) return false;
    for (let s = Math.max(0, from); s < to; s += WINDOW) if (this.loud[Math.floor(s / WINDOW) % RING]) return false;
    return true;
  }

  /** The end of the last loud window before `to`, looking back at most `maxSamples`; null when none. */
  lastLoudEnd(to: number, maxSamples: number): number | null {
    const stop = Math.max(0, to - maxSamples, this.fed - (RING - 1) * WINDOW);
    for (let w = Math.floor((to - 1) / WINDOW); w * WINDOW >= stop; w--)
      if (this.loud[w % RING]) return (w + 1) * WINDOW;
    return null;
  }
}
