import { screeningPhrases, voicemailPhrases } from "./phrases.js";

/**
 * The answering-machine decision from what the first seconds of a call sound like, in media time (ms
 * since the answer), so the same code runs live and in simulated time. Thresholds and their reasons:
 * docs/decisions.md "Voicemail detection".
 */
export type AmdResult = "human" | "machine" | "screening" | "unknown";

export type AmdReason =
  | "short_greeting" // a short first utterance followed by silence: a person waiting for an answer
  | "long_greeting" // speech running past the machine threshold
  | "greeting_resumed" // a medium utterance, a pause, then more speech: a recording reading on
  | "phrase" // the first utterance's transcript reads like a recorded greeting
  | "beep" // a voicemail tone
  | "quiet_after_greeting" // a medium utterance followed by a person's silence
  | "screening_phrase" // a call-screening service asks who is calling
  | "timeout"; // nothing conclusive within the total time

export interface AmdDecision {
  result: AmdResult;
  reason: AmdReason;
  /** Media time of the decision. */
  atMs: number;
  /** When the first utterance began (null: no speech before the decision). */
  speechStartMs: number | null;
  /** Length of the first utterance so far (pauses shorter than the after-greeting silence included). */
  greetingMs: number;
  /** Speech segments in the first utterance (split by pauses ≥ one VAD window). */
  segments: number;
  /** Indicator phrases, when the transcript decided. */
  phrases?: string[];
}

export const AMD_THRESHOLDS = {
  /** Silero hysteresis, as the turn detector uses it. */
  speechOn: 0.5,
  speechOff: 0.35,
  /** Shorter bursts are clicks and breaths, not the start of a greeting. */
  minSpeechMs: 90,
  /** app_amd's after-greeting silence: this much quiet ends the first utterance. */
  afterGreetingSilenceMs: 800,
  /** app_amd's greeting: a person's "Hello, this is Mark" fits in it. */
  humanMaxGreetingMs: 1500,
  /** Twilio's speech threshold: a greeting still going at this length is a recording. */
  machineMinGreetingMs: 2400,
  /** Between the two: Twilio's speech end; a person stays quiet this long waiting for us, a recording reads on. */
  ambiguousWaitMs: 1200,
  /**
   * A short greeting with its transcript on the way: how much longer to wait for it, so "Please leave a
   * message" (1.1 s) is not taken for "Hello, this is Mark" (1.3 s). Keeps a person's decision within
   * 1.5 s of their last word.
   */
  transcriptWaitMs: 500,
  /** app_amd's total analysis time; nothing decided by then is `unknown` (treated as a person). */
  totalMs: 5000,
} as const;

export type AmdThresholds = typeof AMD_THRESHOLDS;

export class AmdClassifier {
  private timeMs = 0;
  private inSpeech = false;
  private runMs = 0;
  private silenceMs = 0;
  private speechStartMs: number | null = null;
  private lastSpeechEndMs = 0;
  private utteranceEnded = false;
  private segments = 0;
  private transcriptChecked = false;
  private _decision: AmdDecision | null = null;

  /**
   * `expectTranscript`: a recognizer will deliver the first utterance's transcript; a short greeting then
   * waits a little for it before being called a person.
   */
  constructor(
    private readonly onDecision: (d: AmdDecision) => void,
    private readonly t: AmdThresholds = AMD_THRESHOLDS,
    private readonly expectTranscript = false,
  ) {}

  private shortEndedAt = -1;

  get decision(): AmdDecision | null {
    return this._decision;
  }
  get nowMs(): number {
    return this.timeMs;
  }
  /** Whether speech is going on now (the caller of the detector waits for a greeting's end with it). */
  get speaking(): boolean {
    return this.inSpeech;
  }
  get quietForMs(): number {
    return this.inSpeech ? 0 : this.timeMs - this.lastSpeechEndMs;
  }

  /** One VAD window's speech probability; windows arrive in order, each `windowMs` long. */
  window(p: number, windowMs: number): void {
    this.timeMs += windowMs;
    const voiced = p >= this.t.speechOn || (this.inSpeech && p >= this.t.speechOff);
    if (voiced) {
      if (!this.inSpeech && this.runMs === 0) this.pendingStart = this.timeMs - windowMs;
      this.runMs += windowMs;
      if (!this.inSpeech && this.runMs >= this.t.minSpeechMs) this.speechBegan();
      this.silenceMs = 0;
    } else {
      if (this.inSpeech) {
        this.inSpeech = false;
        this.lastSpeechEndMs = this.timeMs - windowMs;
      }
      this.runMs = 0;
      this.silenceMs += windowMs;
    }
    if (!this._decision) this.judge();
  }

  private pendingStart = 0;

  private speechBegan(): void {
    this.inSpeech = true;
    if (this.speechStartMs === null) this.speechStartMs = this.pendingStart;
    if (this._decision) return;
    if (this.utteranceEnded) {
      // Speech again after the first utterance ended: only a medium greeting is still undecided here.
      this.decide("machine", "greeting_resumed");
      return;
    }
    this.segments++;
  }

  private judge(): void {
    const t = this.t;
    if (this.speechStartMs !== null && !this.utteranceEnded) {
      const end = this.inSpeech ? this.timeMs : this.lastSpeechEndMs;
      const greeting = end - this.speechStartMs;
      if (greeting >= t.machineMinGreetingMs) return this.decide("machine", "long_greeting");
      if (!this.inSpeech && this.silenceMs >= t.afterGreetingSilenceMs) {
        this.utteranceEnded = true;
        if (greeting <= t.humanMaxGreetingMs) {
          if (!this.expectTranscript || this.transcriptChecked) return this.decide("human", "short_greeting");
          this.shortEndedAt = this.timeMs;
        }
      }
    }
    if (this.shortEndedAt >= 0 && !this.inSpeech && this.timeMs - this.shortEndedAt >= t.transcriptWaitMs)
      return this.decide("human", "short_greeting");
    if (this.utteranceEnded && !this.inSpeech && this.silenceMs >= t.ambiguousWaitMs)
      return this.decide("human", "quiet_after_greeting");
    if (this.timeMs >= t.totalMs) this.decide("unknown", "timeout");
  }

  /** A beep armed after the answer: only recordings beep. */
  beep(atMs: number): void {
    if (!this._decision) this.decide("machine", "beep", atMs);
  }

  /** Whether a transcript is expected and has not come yet (a machine's message cue waits a little for it). */
  get awaitingTranscript(): boolean {
    return this.expectTranscript && !this.transcriptChecked;
  }

  /**
   * A transcript of what the far end said. A call-screening service's words decide `screening`, even over a
   * `machine` the greeting's length decided (a screener talks as long as a recording, and only its words tell
   * them apart). The first one also goes to the spec's rule (run once): a match decides `machine`; no match
   * leaves the decision to the timing, which already leans towards a person.
   */
  transcript(text: string): void {
    const first = !this.transcriptChecked;
    this.transcriptChecked = true;
    const screening = screeningPhrases(text);
    if (screening.length && this.mayBeScreening()) {
      this._decision = null;
      this.decide("screening", "screening_phrase", this.timeMs, screening);
      return;
    }
    if (!first || this._decision) return;
    const v = voicemailPhrases(text);
    if (v.machine) this.decide("machine", "phrase", this.timeMs, v.matched);
    // No indicator, and the timing already said "short greeting": a person, without more waiting.
    else if (this.shortEndedAt >= 0 && !this.inSpeech) this.decide("human", "short_greeting");
  }

  /** Undecided, or a machine only by timing: a beep or a voicemail phrase is not a screener. */
  private mayBeScreening(): boolean {
    const d = this._decision;
    return d === null || (d.result === "machine" && (d.reason === "long_greeting" || d.reason === "greeting_resumed"));
  }

  private decide(result: AmdResult, reason: AmdReason, atMs = this.timeMs, phrases?: string[]): void {
    if (this._decision) return;
    const end = this.inSpeech ? this.timeMs : this.lastSpeechEndMs;
    this._decision = {
      result,
      reason,
      atMs,
      speechStartMs: this.speechStartMs,
      greetingMs: this.speechStartMs === null ? 0 : Math.max(0, end - this.speechStartMs),
      segments: this.segments,
      ...(phrases ? { phrases } : {}),
    };
    this.onDecision(this._decision);
  }
}
