import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

const WINDOW_MS = 60_000;
/** Sampling interval: Node's histogram records whole intervals, so this much of each sample is not delay. */
const RESOLUTION_MS = 10;

export interface LoopDelay {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  window_seconds: number;
}

/**
 * How late the main thread's event loop runs (perf_hooks.monitorEventLoopDelay, sampled every 10 ms),
 * in one-minute windows; it reports the worse of the current and the previous one: a regression (a synchronous write, a long JSON build) shows here.
 * Media no longer depends on it (the media worker keeps its own clock), but every API answer,
 * recognizer pipe and LLM stream does.
 */
class LoopDelayMonitor {
  private current: IntervalHistogram | null = null;
  private previous: LoopDelay | null = null;
  private since = 0;
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    if (this.current) return;
    this.current = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.current.enable();
    this.since = Date.now();
    this.timer = setInterval(() => this.rotate(), WINDOW_MS);
    this.timer.unref();
  }

  private rotate(): void {
    if (!this.current) return;
    this.previous = this.window();
    this.current.reset();
    this.since = Date.now();
  }

  private window(): LoopDelay {
    const h = this.current!;
    const ms = (ns: number) =>
      Number.isFinite(ns) && h.count ? Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS) : 0;
    return {
      p50_ms: ms(h.percentile(50)),
      p99_ms: ms(h.percentile(99)),
      max_ms: ms(h.max),
      window_seconds: Math.round((Date.now() - this.since) / 1000),
    };
  }

  read(): LoopDelay {
    this.start();
    const now = this.window();
    const p = this.previous;
    if (!p) return now;
    return {
      p50_ms: Math.max(now.p50_ms, p.p50_ms),
      p99_ms: Math.max(now.p99_ms, p.p99_ms),
      max_ms: Math.max(now.max_ms, p.max_ms),
      window_seconds: now.window_seconds + p.window_seconds,
    };
  }

  stop(): void {
    this.current?.disable();
    if (this.timer) clearInterval(this.timer);
    this.current = this.previous = null;
    this.timer = null;
  }
}

export const loopDelay = new LoopDelayMonitor();
