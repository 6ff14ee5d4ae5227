import type { CallAudio } from "../../main/engine/media/call-audio.js";
import { FRAME_MS, samplesPerFrame, type AudioFrame } from "../../main/engine/media/frame.js";

/**
 * A call leg without a network: caller frames are pushed by the test, and agent audio "plays" on a
 * 20 ms timer (simulated when the test fakes timers), so playout position, pause, flush and
 * `whenPlayed` behave like the RTP leg's.
 */
export class FakeCallAudio implements CallAudio {
  readonly sampleRateHz = 8000;
  private played = 0;
  /** Playout position of the end of what is queued. */
  private queuedEnd = 0;
  private paused = false;
  private closed = false;
  private readonly listeners = new Set<(frame: AudioFrame) => void>();
  private readonly waiters: { sample: number; resolve: (at: number) => void }[] = [];
  private readonly timer: NodeJS.Timeout;
  private callerSamples = 0;
  private readonly callerFrame = new Int16Array(samplesPerFrame(8000));
  /** Times (of the test's clock) of every tick that sent agent audio. */
  readonly soundAt: number[] = [];
  flushes = 0;
  pauses = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.timer = setInterval(() => this.tick(), FRAME_MS);
  }

  get playedSamples(): number {
    return this.played;
  }
  /** Agent audio still waiting to be sent. */
  get queuedSamples(): number {
    return this.queuedEnd - this.played;
  }
  get isPaused(): boolean {
    return this.paused;
  }

  onFrame(listener: (frame: AudioFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * One 20 ms caller frame: a 200 Hz tone (the "voice") when `loud`, else near silence; `hz` makes it
   * another tone (a voicemail beep). The buffer is reused, as the RTP leg's is.
   */
  hear(loud: boolean, hz = 200): void {
    const f = this.callerFrame;
    for (let i = 0; i < f.length; i++)
      f[i] = loud ? Math.round(6000 * Math.sin((2 * Math.PI * hz * (this.callerSamples + i)) / 8000)) : 0;
    const frame: AudioFrame = {
      data: f,
      sampleRateHz: 8000,
      channels: 1,
      samples: f.length,
      timestampMs: (this.callerSamples / 8000) * 1000,
    };
    this.callerSamples += f.length;
    for (const l of this.listeners) l(frame);
  }

  play(audio: AudioFrame | Int16Array): void {
    if (this.closed) return;
    this.queuedEnd += audio instanceof Int16Array ? audio.length : audio.samples;
  }

  /** As on the RTP leg, a flush also ends a pause: what is queued next plays. */
  flush(): void {
    this.flushes++;
    this.paused = false;
    this.queuedEnd = this.played;
    this.settle(true);
  }

  pause(): void {
    this.pauses++;
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  whenPlayed(sample: number): Promise<number> {
    if (this.closed || sample <= this.played) return Promise.resolve(this.now());
    return new Promise((resolve) => this.waiters.push({ sample, resolve }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.settle(true);
  }

  private tick(): void {
    if (this.paused || this.played >= this.queuedEnd) return;
    this.played = Math.min(this.queuedEnd, this.played + samplesPerFrame(8000));
    this.soundAt.push(this.now());
    this.settle(false);
  }

  /** Resolves the marks playout has passed; after a flush or close, every mark (nothing more will play). */
  private settle(all: boolean): void {
    const at = this.now();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (all || this.waiters[i].sample <= this.played) {
        this.waiters[i].resolve(at);
        this.waiters.splice(i, 1);
      }
    }
  }
}
