/** One chunk of mono 16-bit PCM; 20 ms on a call leg (160 samples at 8 kHz). */
export interface AudioFrame {
  data: Int16Array;
  sampleRateHz: number;
  channels: 1;
  samples: number;
  timestampMs: number;
}

export const FRAME_MS = 20;
export const samplesPerFrame = (sampleRateHz: number): number => (sampleRateHz * FRAME_MS) / 1000;
