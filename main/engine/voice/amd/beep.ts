/**
 * Answering-machine beeps: a steady tone somewhere in 400–2000 Hz lasting at least 150 ms. Each 20 ms
 * frame (160 samples at 8 kHz) is scored with a bank of Goertzel filters; a frame is "tonal" when one
 * filter holds most of the frame's energy, and a beep is a run of tonal frames whose peak filter stays
 * put. Speech never qualifies: its energy is spread over harmonics and formants, so no single 25 Hz-wide
 * filter holds half of it, and its pitch moves between frames.
 */

export interface BeepEvent {
  /** Media time (ms since the detector started) the tone began, ended, and its frequency. */
  startMs: number;
  endMs: number;
  frequencyHz: number;
}

export interface BeepListener {
  /** The tone has lasted long enough to count as a beep (it may still be sounding). */
  beepStarted(e: { startMs: number; frequencyHz: number; atMs: number }): void;
  /** The tone stopped: a voicemail records from here. */
  beepEnded(e: BeepEvent): void;
}

const RATE = 8000;
const LOW_HZ = 400;
const HIGH_HZ = 2000;
/** Filters 25 Hz apart: a tone between two of them still keeps ~80 % of its power in the nearer one. */
const STEP_HZ = 25;
/** Share of a frame's energy that one filter must hold (a pure tone scores ~1, speech < 0.3). */
const TONAL_SHARE = 0.5;
/** Quieter frames are line noise, not a tone (about -50 dBFS). */
const MIN_RMS = 100;
/** The spec's minimum beep length. */
export const MIN_BEEP_MS = 150;
/** A tone may wobble by this much between frames (μ-law and cheap machines). */
const MAX_DRIFT_HZ = 60;

export class BeepDetector {
  private readonly coeffs: Float64Array;
  private readonly freqs: Float64Array;
  private timeMs = 0;
  private runStartMs = -1;
  private runFreq = 0;
  private runMs = 0;
  private announced = false;

  constructor(private readonly listener: BeepListener) {
    const n = Math.floor((HIGH_HZ - LOW_HZ) / STEP_HZ) + 1;
    this.freqs = new Float64Array(n);
    this.coeffs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.freqs[i] = LOW_HZ + i * STEP_HZ;
      this.coeffs[i] = 2 * Math.cos((2 * Math.PI * this.freqs[i]) / RATE);
    }
  }

  /** One frame of 8 kHz PCM (any length; 20 ms frames are what the call delivers). */
  push(pcm: Int16Array): void {
    const frameMs = (pcm.length / RATE) * 1000;
    const freq = this.tonalFrequency(pcm);
    if (freq > 0 && (this.runStartMs < 0 || Math.abs(freq - this.runFreq) <= MAX_DRIFT_HZ)) {
      if (this.runStartMs < 0) {
        this.runStartMs = this.timeMs;
        this.runMs = 0;
        this.announced = false;
      }
      this.runFreq = freq;
      this.runMs += frameMs;
      if (!this.announced && this.runMs >= MIN_BEEP_MS) {
        this.announced = true;
        this.listener.beepStarted({
          startMs: this.runStartMs,
          frequencyHz: this.runFreq,
          atMs: this.timeMs + frameMs,
        });
      }
    } else {
      this.endRun();
      // A tonal frame at a new pitch starts a new run rather than extending the old one.
      if (freq > 0) {
        this.runStartMs = this.timeMs;
        this.runFreq = freq;
        this.runMs = frameMs;
      }
    }
    this.timeMs += frameMs;
  }

  private endRun(): void {
    if (this.runStartMs >= 0 && this.announced)
      this.listener.beepEnded({ startMs: this.runStartMs, endMs: this.timeMs, frequencyHz: this.runFreq });
    this.runStartMs = -1;
    this.runMs = 0;
    this.announced = false;
  }

  /** The frequency of the filter holding most of the frame's energy, or 0 when the frame is not a tone. */
  private tonalFrequency(pcm: Int16Array): number {
    const n = pcm.length;
    if (!n) return 0;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += pcm[i] * pcm[i];
    if (energy / n < MIN_RMS * MIN_RMS) return 0;
    let best = 0;
    let bestIndex = -1;
    for (let k = 0; k < this.coeffs.length; k++) {
      const c = this.coeffs[k];
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s0 = pcm[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      const power = s1 * s1 + s2 * s2 - c * s1 * s2;
      if (power > best) {
        best = power;
        bestIndex = k;
      }
    }
    // A full-scale on-bin sinusoid gives power = (N/2)·Σx²; the ratio is the share of energy in the filter.
    const share = best / ((n / 2) * energy);
    return share >= TONAL_SHARE ? this.freqs[bestIndex] : 0;
  }
}
