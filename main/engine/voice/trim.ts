/**
 * Trims the silence TTS engines put around speech (Flite starts "Okay, noted." with ~220 ms of it), so a
 * reply's first audible sample goes out on the next tick. One trimmer per sentence, fed its chunks in
 * order: silence before the first audible window is dropped (but a short lead-in, so the onset is not
 * clipped), silence inside the sentence is kept, and silence at its end is cut to a short pause — it is
 * held back from each chunk and only released when more speech follows.
 */
/** 5 ms windows at 8 kHz; below −50 dBFS RMS a window is silence (well under any speech onset). */
const WINDOW = 40;
const SILENT_RMS = 32768 * 10 ** (-50 / 20);
/** Kept before the first audible window: a plosive's attack starts just below the floor. */
const LEAD_IN = 80;
/** Kept after the sentence's last audible window: the pause between two sentences or clauses. */
const TAIL = 8 * 120;

export class SilenceTrimmer {
  private started = false;
  /** Trailing silence of the chunks so far, waiting to learn whether speech follows it. */
  private held: Int16Array[] = [];

  /** The part of `pcm` (8 kHz) to play now; silence at its end is held back. */
  push(pcm: Int16Array): Int16Array {
    let first = 0;
    if (!this.started) {
      const a = firstAudible(pcm);
      if (a < 0) return pcm.subarray(0, 0);
      first = Math.max(0, a - LEAD_IN);
      this.started = true;
    }
    const end = lastAudibleEnd(pcm, first);
    if (end < 0) {
      this.held.push(pcm.subarray(first));
      return pcm.subarray(0, 0);
    }
    const parts = [...this.held, pcm.subarray(first, end)];
    this.held = end < pcm.length ? [pcm.subarray(end)] : [];
    return parts.length === 1 ? parts[0] : concat(parts);
  }

  /** The end of the sentence: up to a short pause of the held silence. */
  flush(): Int16Array {
    const held = concat(this.held);
    this.held = [];
    return held.subarray(0, Math.min(held.length, TAIL));
  }
}

function loud(pcm: Int16Array, from: number): boolean {
  let e = 0;
  const to = Math.min(pcm.length, from + WINDOW);
  for (let i = from; i < to; i++) e += pcm[i] * pcm[i];
  return e >= SILENT_RMS * SILENT_RMS * (to - from);
}

function firstAudible(pcm: Int16Array): number {
  for (let w = 0; w < pcm.length; w += WINDOW) if (loud(pcm, w)) return w;
  return -1;
}

function lastAudibleEnd(pcm: Int16Array, from: number): number {
  for (let w = pcm.length - WINDOW; w >= from - WINDOW + 1; w -= WINDOW)
    if (loud(pcm, Math.max(from, w))) return Math.min(pcm.length, w + WINDOW);
  return -1;
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
