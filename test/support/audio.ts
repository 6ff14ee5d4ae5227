import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

/** Reads a 16-bit PCM mono WAV (as sox and baresip's sndfile write them). */
export function readWav(path: string): { sampleRateHz: number; samples: Int16Array } {
  const buf = readFileSync(path);
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE")
    throw new Error(`${path} is not a WAV file`);
  let offset = 12;
  let sampleRateHz = 0;
  let channels = 1;
  while (offset + 8 <= buf.length) {
    const id = buf.toString("ascii", offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    if (id === "fmt ") {
      channels = buf.readUInt16LE(offset + 10);
      sampleRateHz = buf.readUInt32LE(offset + 12);
    }
    if (id === "data") {
      const end = Math.min(buf.length, offset + 8 + size);
      const all = new Int16Array(
        buf.buffer.slice(buf.byteOffset + offset + 8, buf.byteOffset + end - ((end - offset - 8) % 2)),
      );
      if (channels === 1) return { sampleRateHz, samples: all };
      const mono = new Int16Array(Math.floor(all.length / channels));
      for (let i = 0; i < mono.length; i++) mono[i] = all[i * channels];
      return { sampleRateHz, samples: mono };
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

/** sox: convert to 8 kHz mono 16-bit with padding before/after (seconds). */
export function toTelephoneWav(src: string, dst: string, padBefore = 0.5, padAfter = 1): void {
  const r = spawnSync(
    "sox",
    [src, "-r", "8000", "-c", "1", "-b", "16", dst, "pad", String(padBefore), String(padAfter)],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
}

/**
 * Largest normalized cross-correlation between `a` and `b` over lags 0..maxLag (b delayed against a or
 * the other way round). 1 = same waveform; G.711 both ways keeps it above ~0.95 for speech.
 */
export function maxCrossCorrelation(a: Int16Array, b: Int16Array, maxLag: number): { value: number; lag: number } {
  let best = { value: 0, lag: 0 };
  const energy = (x: Int16Array, from: number, n: number) => {
    let e = 0;
    for (let i = 0; i < n; i++) e += x[from + i] * x[from + i];
    return e;
  };
  for (let lag = -maxLag; lag <= maxLag; lag += 1) {
    const aStart = Math.max(0, -lag);
    const bStart = Math.max(0, lag);
    const n = Math.min(a.length - aStart, b.length - bStart);
    if (n < 800) continue;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += a[aStart + i] * b[bStart + i];
    if (dot <= best.value * 1e-9 && best.value > 0) continue;
    const norm = Math.sqrt(energy(a, aStart, n) * energy(b, bStart, n));
    const value = norm ? dot / norm : 0;
    if (value > best.value) best = { value, lag };
  }
  return best;
}

/**
 * How well `heard` carries `reference`, half a second at a time: the median over the reference's 0.5 s
 * windows of each one's best correlation with `heard` (searched from `start` in heard, ± `slack` samples
 * around the window's own place). A relay that drops 20 ms of standing delay once (sender.ts `trimRelay`)
 * shifts the audio after it by a packet: a single lag for the whole sentence would then match only half of
 * it, while every half-second still matches.
 */
export function windowedCorrelation(reference: Int16Array, heard: Int16Array, start: number, slack = 2400): number {
  const values: number[] = [];
  for (let o = 0; o + 4000 <= reference.length; o += 4000) {
    const w = reference.subarray(o, o + 4000);
    let e = 0;
    for (const s of w) e += s * s;
    if (Math.sqrt(e / w.length) < 300) continue; // a pause says nothing about the path
    const from = Math.max(0, start + o - slack);
    const seg = heard.subarray(from, Math.min(heard.length, start + o + 4000 + slack));
    values.push(maxCrossCorrelation(w, seg, 2 * slack).value);
  }
  values.sort((a, b) => a - b);
  return values.length ? values[Math.floor(values.length / 2)] : 0;
}

/** Root-mean-square loudness of 16-bit samples. */
export function rms(pcm: Int16Array): number {
  let e = 0;
  for (const s of pcm) e += s * s;
  return Math.sqrt(e / Math.max(1, pcm.length));
}

/**
 * What arrived from `since` on (frames with their arrival time), from five frames before its first loud one
 * (RMS > 300), as one signal; empty when nothing loud arrived.
 */
export function heardFrom(frames: { at: number; pcm: Int16Array }[], since: number): Int16Array {
  const after = frames.filter((f) => f.at >= since);
  const first = after.findIndex((f) => rms(f.pcm) > 300);
  if (first < 0) return new Int16Array(0);
  const pcm = after.slice(Math.max(0, first - 5)).map((f) => f.pcm);
  const out = new Int16Array(pcm.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of pcm) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** 20 ms RMS loudness, frame by frame. */
export function envelope(pcm: Int16Array): Float64Array {
  const out = new Float64Array(Math.floor(pcm.length / 160));
  for (let f = 0; f < out.length; f++) {
    let e = 0;
    for (let i = f * 160; i < (f + 1) * 160; i++) e += pcm[i] * pcm[i];
    out[f] = Math.sqrt(e / 160);
  }
  return out;
}

/**
 * Best Pearson correlation of `snippet`'s loudness envelope against `reference`'s at any frame offset.
 * Loudness, not samples: what Chromium plays out is time-stretched by its NetEq, which moves samples, not the
 * loudness of syllables.
 */
export function envelopeMatch(snippet: Int16Array, reference: Int16Array): number {
  const a = envelope(snippet);
  const b = envelope(reference);
  let best = -1;
  for (let lag = 0; lag + a.length <= b.length; lag++) {
    let ma = 0;
    let mb = 0;
    for (let i = 0; i < a.length; i++) {
      ma += a[i];
      mb += b[lag + i];
    }
    ma /= a.length;
    mb /= a.length;
    let num = 0;
    let da = 0;
    let db = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i] - ma) * (b[lag + i] - mb);
      da += (a[i] - ma) ** 2;
      db += (b[lag + i] - mb) ** 2;
    }
    if (da && db) best = Math.max(best, num / Math.sqrt(da * db));
  }
  return best;
}
