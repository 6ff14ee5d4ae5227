import * as ort from "onnxruntime-node";
import { sileroModelPath } from "./model-path.js";

let sessionPromise: Promise<ort.InferenceSession> | null = null;

/** One ONNX session for every call: the model is stateless apart from the state tensor each call keeps. */
function session(): Promise<ort.InferenceSession> {
  sessionPromise ??= ort.InferenceSession.create(sileroModelPath(), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  return sessionPromise;
}

export const loadSilero = (): Promise<unknown> => session();

/**
 * Silero VAD v6 at 8 kHz: windows of 256 samples (32 ms) with the previous 32 samples as context and a
 * recurrent state carried between windows. `push` takes call frames of any size and returns a speech
 * probability per full window. It runs in the VAD thread (vad-worker.ts), one instance per call.
 */
export class SileroVad {
  static readonly WINDOW = 256;
  static readonly CONTEXT = 32;
  static readonly SAMPLE_RATE = 8000;
  readonly windowMs = (SileroVad.WINDOW / SileroVad.SAMPLE_RATE) * 1000;

  private readonly pending = new Float32Array(SileroVad.WINDOW * 8);
  private pendingLength = 0;
  private readonly input = new Float32Array(SileroVad.CONTEXT + SileroVad.WINDOW);
  private state: ort.Tensor = new ort.Tensor("float32", new Float32Array(2 * 1 * 128), [2, 1, 128]);
  private readonly sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(SileroVad.SAMPLE_RATE)]), []);
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * Feeds 8 kHz PCM. `onProbability` is called once per 32 ms window, in order, with the window's
   * speech probability and the number of samples fed before the window's end (for timing).
   */
  constructor(private readonly onProbability: (p: number, endSample: number) => void) {}

  private fed = 0;

  push(pcm: Int16Array): void {
    if (this.closed) return;
    for (let i = 0; i < pcm.length; i++) {
      if (this.pendingLength === this.pending.length) break; // inference fell 8 windows behind: drop rather than grow
      this.pending[this.pendingLength++] = pcm[i] / 32768;
    }
    this.fed += pcm.length;
    while (this.pendingLength >= SileroVad.WINDOW) {
      const window = this.input;
      // Shift the context in, then the new window after it.
      window.copyWithin(0, SileroVad.WINDOW);
      window.set(this.pending.subarray(0, SileroVad.WINDOW), SileroVad.CONTEXT);
      this.pending.copyWithin(0, SileroVad.WINDOW, this.pendingLength);
      this.pendingLength -= SileroVad.WINDOW;
      const data = window.slice(); // the tensor must own its data while inference runs
      const end = this.fed - this.pendingLength;
      this.chain = this.chain.then(() => this.infer(data, end)).catch(() => undefined);
    }
  }

  private async infer(data: Float32Array, endSample: number): Promise<void> {
    if (this.closed) return;
    const s = await session();
    const out = await s.run({
      input: new ort.Tensor("float32", data, [1, data.length]),
      state: this.state,
      sr: this.sr,
    });
    if (this.closed) return;
    this.state = out.stateN as ort.Tensor;
    this.onProbability((out.output.data as Float32Array)[0], endSample);
  }

  /** Resolves once every window pushed so far has been scored (simulated-time runs wait on it). */
  idle(): Promise<void> {
    return this.chain;
  }

  reset(): void {
    this.state = new ort.Tensor("float32", new Float32Array(2 * 1 * 128), [2, 1, 128]);
    this.input.fill(0);
    this.pendingLength = 0;
  }

  close(): void {
    this.closed = true;
  }
}
