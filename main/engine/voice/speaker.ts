import type { CallAudio } from "../media/call-audio.js";
import type { AudioFrame } from "../media/frame.js";
import { resample } from "../media/resample.js";
import type { TextToSpeech } from "../providers/tts/types.js";
import { Reply } from "./reply.js";
import { SilenceTrimmer } from "./trim.js";
import type { FirstAudioTiming } from "./metrics.js";

export type FirstAudio = (sample: number, timing: FirstAudioTiming) => void;

export interface SpeakerOptions {
  audio: CallAudio;
  tts: TextToSpeech;
  /** Speaks when `tts` itself is what failed. */
  fallbackTts: TextToSpeech;
  pronunciation: { from: string; to: string }[];
  rateHz: number;
  now: () => number;
  problem(err: unknown): void;
  /** Agent audio was queued: the line is not quiet. */
  onAudio(): void;
  /** A reply was played to its end: what was said joins the conversation. */
  onSpoken(text: string): void;
  /** The caller's line carries sound the VAD has not scored yet (they may be going on). */
  callerUnjudged?(): boolean;
}

/** How long a preemptive reply waits, past its time, for the VAD to judge fresh sound on the line. */
const UNJUDGED_WAIT_MS = 100;

/**
 * The agent's voice: sentences → TTS → playout, in order, each synthesized as soon as the previous is
 * queued while earlier ones play. Also the primitives barge-in needs (hold, resume, flush), which act on
 * playout at once rather than waiting behind queued audio.
 */
export class Speaker {
  /** Samples handed to playout so far (the playout position of the end of the queue). */
  private enqueued = 0;
  /** The reply the caller hears or is about to hear; the one barge-in cuts. */
  current: Reply | null = null;
  private ttsChain: Promise<void> = Promise.resolve();
  private speakChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: SpeakerOptions) {}

  /** True while the caller can hear us (or would, but for a barge-in pause). */
  get audible(): boolean {
    return this.o.audio.playedSamples < this.enqueued;
  }
  get playedSamples(): number {
    return this.o.audio.playedSamples;
  }

  /** Waits until a preemptive reply's turn is final; false when it was dropped meanwhile. */
  async committed(reply: Reply): Promise<boolean> {
    const wait = reply.notBefore - this.o.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Sound after the pause that the VAD has not scored yet may be the caller going on: answering now
    // would talk into their sentence, so wait for its verdict (a window or two; speech cancels the reply).
    for (let waited = 0; waited < UNJUDGED_WAIT_MS && !reply.aborted && this.o.callerUnjudged?.(); waited += 8)
      await new Promise((r) => setTimeout(r, 8));
    return !reply.aborted && !this.closed;
  }

  /** Queues a sentence of `reply` for synthesis and playout, after everything queued before it. */
  queue(reply: Reply, sentence: string, onFirstAudio?: FirstAudio, tts = this.o.tts): void {
    const spoken = this.pronounce(sentence);
    this.ttsChain = this.ttsChain.then(async () => {
      if (reply.aborted || this.closed) return;
      const started = this.o.now();
      const start = this.enqueued;
      const trim = new SilenceTrimmer();
      const play = (pcm: Int16Array) => {
        this.o.audio.play(this.frame(pcm));
        this.enqueued += pcm.length;
        this.o.onAudio();
      };
      try {
        for await (const chunk of tts.synthesize({ text: spoken, signal: reply.abort.signal })) {
          if (reply.aborted || this.closed) return;
          const resampled = await resample(chunk, tts.sampleRateHz, this.o.rateHz);
          // Only answers are trimmed: a greeting plays as the call is answered, and the voice's own
          // lead-in covers the moment the phone's audio path takes to open (the caller waits for nothing).
          const pcm = reply.source === "llm" ? trim.push(resampled) : resampled;
          if (!pcm.length) continue;
          const readyAt = this.o.now();
          // A preemptive reply is ready before its turn is final: it waits here, silent.
          if (reply.notBefore > readyAt && !(await this.committed(reply))) return;
          if (reply.aborted || this.closed) return;
          if (this.enqueued === start)
            onFirstAudio?.(start, { synthMs: readyAt - started, readyAt, queuedAt: this.o.now() });
          play(pcm);
        }
        const pause = reply.source === "llm" ? trim.flush() : new Int16Array(0);
        if (pause.length && this.enqueued > start && !reply.aborted && !this.closed) play(pause);
      } catch (err) {
        if (reply.aborted || this.closed) return;
        this.o.problem(err);
        if (tts !== this.o.fallbackTts) {
          // The voice failed: say the sentence with the built-in voice instead of going silent.
          this.queue(reply, sentence, onFirstAudio, this.o.fallbackTts);
          return;
        }
      }
      if (this.enqueued > start) reply.segments.push({ text: sentence, start, end: this.enqueued });
    });
  }

  /** Waits until the reply is synthesized and played, then hands on what was said. */
  async finish(reply: Reply): Promise<void> {
    await this.ttsChain;
    if (reply.aborted) return;
    const end = reply.segments.at(-1)?.end ?? 0;
    if (end) await this.o.audio.whenPlayed(end);
    if (reply.finished || reply.aborted) return;
    reply.finished = true;
    if (this.current === reply) this.current = null;
    this.o.onSpoken(reply.text);
  }

  /** Speaks fixed text (greeting, `say`, fallback lines, silence checks), after whatever is playing. */
  say(text: string, voice: TextToSpeech = this.o.tts): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const reply = new Reply("scripted");
      if (!this.current) this.current = reply;
      this.queue(reply, text, undefined, voice);
      await this.finish(reply);
      if (this.current === reply) this.current = null;
    };
    this.speakChain = this.speakChain.then(run, run);
    return this.speakChain;
  }

  /** Resolves once everything queued so far has been synthesized and played. */
  async drain(): Promise<void> {
    await this.ttsChain;
    await this.o.audio.whenPlayed(this.enqueued);
  }

  /** Holds playout, keeping the queue; returns the sample the caller had heard up to. */
  hold(): number {
    this.o.audio.pause();
    return this.o.audio.playedSamples;
  }

  resume(): void {
    this.o.audio.resume();
  }

  /** Drops every queued sample at once (barge-in): nothing queued before now will be heard. */
  flush(): void {
    this.o.audio.flush();
    this.enqueued = this.o.audio.playedSamples;
  }

  /** Stops the current reply's generation (its queued audio stays until flushed). */
  abortCurrent(): void {
    this.current?.abort.abort();
  }

  close(): void {
    this.closed = true;
    this.abortCurrent();
  }

  private frame(pcm: Int16Array): AudioFrame {
    return {
      data: pcm,
      sampleRateHz: this.o.rateHz,
      channels: 1,
      samples: pcm.length,
      timestampMs: (this.enqueued / this.o.rateHz) * 1000,
    };
  }

  private pronounce(text: string): string {
    let out = text;
    for (const { from, to } of this.o.pronunciation) if (from) out = out.split(from).join(to);
    return out;
  }
}
