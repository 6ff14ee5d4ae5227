import { FRAME_MS } from "./frame.js";

export type TickListener = (tick: number) => void;

/** How long before each deadline the timer wakes the clock, which then sleeps precisely for the rest. */
const PRECISE_MS = 2;

/**
 * One 20 ms clock for every call, run by the media worker (worker/media-worker.ts). Ticks are scheduled against absolute times (start + n·20 ms), so
 * timer lateness never accumulates into drift; when the loop was blocked, missed ticks are run at once
 * (each sender then catches up by itself). Lateness of each tick is kept in a fixed ring for statistics.
 */
export class MediaClock {
  private readonly listeners = new Set<TickListener>();
  private timer: NodeJS.Timeout | null = null;
  private start = 0;
  private tick = 0;
  private readonly lateness = new Float64Array(4096);
  private latenessCount = 0;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  /** `precise`: finish each wait with a blocking sub-millisecond sleep (only where blocking is harmless). */
  constructor(private readonly precise = false) {}

  add(listener: TickListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) this.begin();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.end();
    };
  }

  private begin(): void {
    this.start = performance.now();
    this.tick = 0;
    this.schedule();
  }

  private end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const due = this.start + (this.tick + 1) * FRAME_MS;
    // The timer only wakes us close to the deadline (it has 1 ms steps and runs late by the loop's own
    // rounding); the last stretch is a precise sleep below.
    this.timer = setTimeout(() => this.run(), Math.max(0, due - performance.now() - PRECISE_MS));
  }

  private run(): void {
    const due = this.start + (this.tick + 1) * FRAME_MS;
    const early = due - performance.now();
    // A blocking, timed futex wait (sub-millisecond) for what the timer left: fine on the media thread,
    // where nothing else waits; incoming packets stay in the socket buffer for those ≤2 ms.
    if (early > 0 && this.precise) Atomics.wait(this.sleeper, 0, 0, early);
    const now = performance.now();
    while (this.start + (this.tick + 1) * FRAME_MS <= now + 0.5) {
      this.tick++;
      this.lateness[this.latenessCount++ % this.lateness.length] = now - (this.start + this.tick * FRAME_MS);
      for (const l of this.listeners) {
        try {
          l(this.tick);
        } catch {
          /* one call's error must not stop the others */
        }
      }
    }
    if (this.listeners.size) this.schedule();
  }

  /** Starts a new measurement (each benchmark phase gets its own). */
  resetStats(): void {
    this.latenessCount = 0;
  }

  /** Lateness percentiles (ms) over the last ≤4096 ticks. */
  stats(): { p50: number; p99: number; max: number; ticks: number } {
    const n = Math.min(this.latenessCount, this.lateness.length);
    const sorted = Array.from(this.lateness.subarray(0, n)).sort((a, b) => a - b);
    const at = (p: number) => (n ? sorted[Math.min(n - 1, Math.floor(p * n))] : 0);
    return { p50: at(0.5), p99: at(0.99), max: n ? sorted[n - 1] : 0, ticks: this.latenessCount };
  }
}
