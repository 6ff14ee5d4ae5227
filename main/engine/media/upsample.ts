/**
 * 8 → 16 kHz for a continuous stream, one 20 ms frame at a time: zero-stuffing followed by a 31-tap
 * windowed-sinc half-band low-pass, as a polyphase filter with its history kept between frames. Written
 * by hand because it runs on every frame of every call: it allocates nothing after construction (the
 * libsamplerate binding used for whole utterances returns a new array per call).
 */
const TAPS = 31;
const KERNEL = (() => {
  const h = new Float64Array(TAPS);
  const mid = (TAPS - 1) / 2;
  for (let i = 0; i < TAPS; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 1 : Math.sin((Math.PI * x) / 2) / ((Math.PI * x) / 2);
    h[i] =
      sinc * (0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (TAPS - 1)));
  }
  return h;
})();
const HISTORY = (TAPS + 1) / 2;

export class Upsampler2x {
  private readonly history = new Float64Array(HISTORY);
  private out: Int16Array;

  constructor(maxInput = 160) {
    this.out = new Int16Array(maxInput * 2);
  }

  /** Returns a view into an internal buffer, valid until the next call. */
  process(input: Int16Array): Int16Array {
    if (input.length * 2 > this.out.length) this.out = new Int16Array(input.length * 2);
    const h = this.history;
    const out = this.out;
    for (let n = 0; n < input.length; n++) {
      h.copyWithin(0, 1);
      h[HISTORY - 1] = input[n];
      // Even output phase: taps 0,2,4…; odd phase: taps 1,3,5… (the zero-stuffed samples contribute nothing).
      let even = 0;
      let odd = 0;
      for (let k = 0; k < HISTORY; k++) {
        const x = h[HISTORY - 1 - k];
        even += KERNEL[2 * k] * x;
        if (2 * k + 1 < TAPS) odd += KERNEL[2 * k + 1] * x;
      }
      out[2 * n] = clamp(even);
      out[2 * n + 1] = clamp(odd);
    }
    return out.subarray(0, input.length * 2);
  }
}

const clamp = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v));
