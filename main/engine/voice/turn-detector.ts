import type { TurnTaking } from "./assistant-config.js";
import type { VadFactory, VoiceActivityDetector } from "./vad.js";
import { turnEnd } from "./endpointing.js";
import { LineEnergy } from "./line-energy.js";
import { SPEECH_OFF, SPEECH_ON } from "./vad-thread/onset-hold.js";

const RATE = 8000;
/** Speech after which a quiet window ends it on energy alone (the barge-in threshold's default). */
const ENERGY_AFTER_MS = 300;

/**
 * quiet: nobody talks. starting: speech began but is still short enough to be a click or a cough.
 * speaking: a real utterance. stopping: a pause inside the turn, counting toward the end of speech.
 */
export type TurnState = "quiet" | "starting" | "speaking" | "stopping";

export interface TurnListener {
  /**
   * Speech began in the window that started `lateMs` ago: inference answers windows late (a busy
   * machine: hundreds of ms), and the audio since then is speech too.
   */
  speechStarted(lateMs: number): void;
  /** Every window of speech, with the speech heard so far in this turn. */
  speaking(speechMs: number): void;
  /** Every quiet window inside the turn. */
  pausing(silenceMs: number, speechMs: number): void;
  /**
   * The caller paused long enough to recognize and ask the model: the preemptive start. The turn is
   * final only once `finalAt(endedAt)` has passed with the caller still quiet.
   */
  speechEnded(e: { speechMs: number; silenceMs: number; endedAt: number; releasedAt: number }): void;
}

/** Shorter than this is a click or a cough, never a turn. */
export const MIN_UTTERANCE_MS = 120;
/**
 * Recognition and the model start this long before the endpointing delay ends, and never before
 * PREEMPT_MS of silence: with the recognizer flushed at 100 ms its text is there by ~200 ms, so the
 * model's first token overlaps the wait; a longer configured delay keeps speculative requests rare.
 */
const PREEMPT_MS = 100;
const PREEMPT_LEAD_MS = 300;
/**
 * Caller speech states from VAD probabilities, and the endpointing rules: when to start recognition
 * early, when the turn is final, and how long to wait for a caller who trails off.
 */
export class TurnDetector {
  private readonly vad: VoiceActivityDetector;
  private _state: TurnState = "quiet";
  private speechMs = 0;
  private silenceMs = 0;
  /** When the first quiet window of the current pause was scored: the VAD's release, as measured. */
  private releasedAt = 0;
  /** Where the pause began (session clock): the last loud audio when the line is quiet enough to tell. */
  private quietSince = 0;
  private readonly energy = new LineEnergy();
  /** The end of the last window the VAD scored (samples). */
  private scoredTo = 0;
  private closed = false;
  private readonly taps: ((p: number, windowMs: number) => void)[] = [];

  constructor(
    private readonly tt: TurnTaking,
    vad: VadFactory,
    private readonly listener: TurnListener,
    private readonly now: () => number,
  ) {
    this.vad = vad((p, endSample) => this.onProbability(p, endSample ?? this.energy.fed));
  }

  get state(): TurnState {
    return this._state;
  }
  get inSpeech(): boolean {
    return this._state !== "quiet";
  }
  get windowMs(): number {
    return this.vad.windowMs;
  }

  /** Another reader of the same probabilities (voicemail detection), so the model scores each window once. */
  tap(listener: (p: number, windowMs: number) => void): void {
    this.taps.push(listener);
  }

  push(pcm: Int16Array): void {
    if (this.closed) return;
    this.energy.push(pcm);
    this.vad.push(pcm);
  }

  /** Sound on the line after the last window the VAD scored: speech may be starting again. */
  get unjudgedSound(): boolean {
    return this.energy.fed - this.scoredTo >= 40 && !this.energy.quiet(this.scoredTo, this.energy.fed);
  }

  /** Silence after which recognition and the model start, before the turn is final. */
  get preemptAfterMs(): number {
    const min = this.tt.endpointingMinMs;
    return Math.max(Math.min(PREEMPT_MS, min), min - PREEMPT_LEAD_MS);
  }

  /**
   * When a turn whose speech ended at `endedAt` becomes final if the caller stays quiet: a sentence the
   * recognizer finished (final punctuation, or a confident final) after half the delay (not before the
   * preemptive point), otherwise after the whole delay.
   */
  finalAt(endedAt: number, text = "", confidence?: number): number {
    const min = this.tt.endpointingMinMs;
    return endedAt + (turnEnd(text, confidence) === "finished" ? Math.max(this.preemptAfterMs, min / 2) : min);
  }

  /** When `text` sounds unfinished ("…and", "um", "I'd like to"), how much longer to wait for more (up to the maximum delay); else null. */
  continuationWaitMs(text: string, endedAt: number): number | null {
    return turnEnd(text) === "unfinished" ? Math.max(0, this.tt.endpointingMaxMs - (this.now() - endedAt)) : null;
  }

  private onProbability(p: number, endSample: number): void {
    if (this.closed) return;
    const windowMs = this.vad.windowMs;
    this.scoredTo = endSample;
    for (const tap of this.taps) tap(p, windowMs);
    const now = this.now();
    const windowSamples = (windowMs * RATE) / 1000;
    // A window whose every 5 ms is below −45 dBFS is a pause, whatever Silero's slowly decaying
    // probability says; a noisy line is never that quiet and keeps the VAD's own release. Not in the
    // first ENERGY_AFTER_MS of speech: the gaps between a barge-in's first words would resume our reply.
    const energyQuiet =
      (!this.inSpeech || this.speechMs >= ENERGY_AFTER_MS) && this.energy.quiet(endSample - windowSamples, endSample);
    if (!energyQuiet && (p >= SPEECH_ON || (this.inSpeech && p >= SPEECH_OFF))) {
      this.silenceMs = 0;
      if (this._state === "quiet") {
        this._state = "starting";
        this.speechMs = 0;
        this.listener.speechStarted(((this.energy.fed - endSample + windowSamples) * 1000) / RATE);
      }
      this.speechMs += windowMs;
      this._state = this.speechMs >= MIN_UTTERANCE_MS ? "speaking" : "starting";
      this.listener.speaking(this.speechMs);
      return;
    }
    if (!this.inSpeech) return;
    if (this.silenceMs === 0) {
      this.releasedAt = now;
      // The pause began at the last loud 5 ms (looking back 4 windows at most), on the session's clock.
      const loudEnd = energyQuiet ? this.energy.lastLoudEnd(endSample, 4 * windowSamples) : null;
      const at = (sample: number) => now - ((this.energy.fed - sample) * 1000) / RATE;
      this.quietSince = loudEnd !== null ? at(loudEnd) : at(endSample - (energyQuiet ? 4 : 1) * windowSamples);
    }
    this.silenceMs = now - this.quietSince;
    this._state = "stopping";
    this.listener.pausing(this.silenceMs, this.speechMs);
    if (this.closed || this.silenceMs < this.preemptAfterMs) return;
    this._state = "quiet";
    this.listener.speechEnded({
      speechMs: this.speechMs,
      silenceMs: this.silenceMs,
      endedAt: this.quietSince,
      releasedAt: this.releasedAt,
    });
  }

  close(): void {
    this.closed = true;
    this.vad.close();
  }
}
