import type { TurnTaking } from "./assistant-config.js";
import type { VadFactory, VoiceActivityDetector } from "./vad.js";

/**
 * quiet: nobody talks. starting: speech began but is still short enough to be a click or a cough.
 * speaking: a real utterance. stopping: a pause inside the turn, counting toward the end of speech.
 */
export type TurnState = "quiet" | "starting" | "speaking" | "stopping";

export interface TurnListener {
  speechStarted(): void;
  /** Every window of speech, with the speech heard so far in this turn. */
  speaking(speechMs: number): void;
  /** Every quiet window inside the turn. */
  pausing(silenceMs: number, speechMs: number): void;
  /**
   * The caller paused long enough to recognize and ask the model: the preemptive start. The turn is
   * final only once `finalAt(endedAt)` has passed with the caller still quiet.
   */
  speechEnded(e: { speechMs: number; silenceMs: number; endedAt: number }): void;
}

/** Hysteresis: speech starts above ON and continues down to OFF, so a dip between words does not end it. */
const SPEECH_ON = 0.5;
const SPEECH_OFF = 0.35;
/** Shorter than this is a click or a cough, never a turn. */
export const MIN_UTTERANCE_MS = 120;
/**
 * Preemptive generation starts this long before the endpointing delay ends (never before 200 ms of
 * silence): enough for the recognizer's last words and the model's first token to overlap the wait,
 * without a speculative request at every short pause of a long turn.
 */
const PREEMPT_MS = 200;
const PREEMPT_LEAD_MS = 200;
/** Words after which the caller is probably not done ("…and", "um"). */
const CONTINUES = /\b(and|but|so|or|because|um+|uh+|er+|like|then)[\s,]*$|,\s*$/i;

/**
 * Caller speech states from VAD probabilities, and the endpointing rules: when to start recognition
 * early, when the turn is final, and how long to wait for a caller who trails off.
 */
export class TurnDetector {
  private readonly vad: VoiceActivityDetector;
  private _state: TurnState = "quiet";
  private speechMs = 0;
  private silenceMs = 0;
  private closed = false;
  private readonly taps: ((p: number, windowMs: number) => void)[] = [];

  constructor(
    private readonly tt: TurnTaking,
    vad: VadFactory,
    private readonly listener: TurnListener,
    private readonly now: () => number,
  ) {
    this.vad = vad((p) => this.onProbability(p));
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
    if (!this.closed) this.vad.push(pcm);
  }

  /** Silence after which recognition and the model start, before the turn is final. */
  get preemptAfterMs(): number {
    const min = this.tt.endpointingMinMs;
    return Math.max(Math.min(PREEMPT_MS, min), min - PREEMPT_LEAD_MS);
  }

  /** When a turn whose speech ended at `endedAt` becomes final if the caller stays quiet. */
  finalAt(endedAt: number): number {
    return endedAt + this.tt.endpointingMinMs;
  }

  /** When `text` trails off ("…and", "um"), how much longer to wait for more (up to the maximum delay); else null. */
  continuationWaitMs(text: string, endedAt: number): number | null {
    return CONTINUES.test(text) ? Math.max(0, this.tt.endpointingMaxMs - (this.now() - endedAt)) : null;
  }

  private onProbability(p: number): void {
    if (this.closed) return;
    const windowMs = this.vad.windowMs;
    for (const tap of this.taps) tap(p, windowMs);
    if (p >= SPEECH_ON || (this.inSpeech && p >= SPEECH_OFF)) {
      this.silenceMs = 0;
      if (this._state === "quiet") {
        this._state = "starting";
        this.speechMs = 0;
        this.listener.speechStarted();
      }
      this.speechMs += windowMs;
      this._state = this.speechMs >= MIN_UTTERANCE_MS ? "speaking" : "starting";
      this.listener.speaking(this.speechMs);
      return;
    }
    if (!this.inSpeech) return;
    this.silenceMs += windowMs;
    this._state = "stopping";
    this.listener.pausing(this.silenceMs, this.speechMs);
    if (this.closed || this.silenceMs < this.preemptAfterMs) return;
    this._state = "quiet";
    this.listener.speechEnded({
      speechMs: this.speechMs,
      silenceMs: this.silenceMs,
      endedAt: this.now() - this.silenceMs,
    });
  }

  close(): void {
    this.closed = true;
    this.vad.close();
  }
}
