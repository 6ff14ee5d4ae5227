import type { CallAudio } from "../../media/call-audio.js";
import type { TextToSpeech } from "../../providers/tts/types.js";
import { AnsweringMachineDetector, MAX_BEEP_WAIT_MS, type AmdDecision, type MessageCue } from "./detector.js";
import { prepareMessage } from "./message.js";

/** What goes on the call (event log, `metrics.amd`, the report's summary). */
export interface AmdReport {
  result: AmdDecision["result"];
  reason: AmdDecision["reason"];
  /** ms from the answer to the decision (media time). */
  decision_ms: number;
  greeting_ms: number;
  phrases?: string[];
  /** Set once the call ends on a machine: what was left, and what cued it. */
  message?: string | null;
  cue?: MessageCue["after"];
  /** ms from the beep's end to the message's first sample being queued, when a beep cued it. */
  beep_to_message_ms?: number;
}

export interface VoicemailDeps {
  audio: CallAudio;
  tts: TextToSpeech;
  rateHz: number;
  /** Wall clock (ms), to time the message against the beep. */
  now(): number;
  /** The result, once decided and again when the message was left. */
  report(r: AmdReport): void;
  /** The greeting (user) and the message (assistant) in the transcript. */
  message(role: "user" | "assistant", content: string): void;
  /** A machine: the assistant stops talking and stops answering. */
  silenceAssistant(): void;
  /** A call-screening service: the assistant answers again (after `silenceAssistant` too), and knows who listens. */
  screening(): void;
  /** Says the message with the built-in voice when the assistant's voice failed to synthesize it. */
  sayFallback(text: string): Promise<void>;
  /** Ends the call with end_reason `voicemail`. */
  hangUp(): void;
}

/**
 * Voicemail detection on one outbound call (features.md §2, issue #17): the detector decides while the
 * conversation starts as usual (a person is greeted without waiting); the assistant's replies to the first
 * utterance wait for the decision. On a machine the assistant falls silent, the message is synthesized at
 * once, and it is spoken when the beep ends (or the greeting has gone quiet), then the call ends.
 */
export class VoicemailGuard {
  private readonly detector: AnsweringMachineDetector;
  private readonly waiting: (() => void)[] = [];
  private prepared: Promise<Int16Array | null> | null = null;
  private readonly abort = new AbortController();
  private report: AmdReport | null = null;
  private leaving = false;
  private done = false;
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    private readonly text: string | null,
    private readonly deps: VoicemailDeps,
  ) {
    this.detector = new AnsweringMachineDetector(
      { decided: (d) => this.decided(d), leaveMessage: (c) => void this.leave(c) },
      { expectTranscript: true },
    );
  }

  get machine(): boolean {
    return this.detector.decision?.result === "machine";
  }
  get undecided(): boolean {
    return this.detector.decision === null;
  }

  frame(pcm: Int16Array): void {
    this.detector.push(pcm);
  }

  probability(p: number, windowMs: number): void {
    this.detector.probability(p, windowMs);
  }

  /**
   * A caller turn's transcript. The first one goes to the phrase rule. Returns true when the session must
   * not answer it (a machine); `later` runs if the decision, still open, turns out a person.
   */
  heard(text: string, later: () => void): boolean {
    if (!this.leaving && !this.done) {
      this.detector.transcript(text);
      // Its words were not a screener's: a machine with no message to leave is hung up on now.
      if (this.machine && !this.text) this.finish(null);
    }
    if (this.machine) {
      this.deps.message("user", text);
      return true;
    }
    if (this.undecided) {
      this.waiting.push(() => (this.machine ? this.deps.message("user", text) : later()));
      return true;
    }
    return false;
  }

  private decided(d: AmdDecision): void {
    this.report = {
      result: d.result,
      reason: d.reason,
      decision_ms: Math.round(d.atMs),
      greeting_ms: Math.round(d.greetingMs),
      ...(d.phrases ? { phrases: d.phrases } : {}),
    };
    this.deps.report(this.report);
    if (d.result === "screening") this.screened();
    if (d.result === "machine") {
      this.deps.silenceAssistant();
      // No message: hang up at once, unless only the greeting's length decided and its words, still to
      // come, may show a screening service (then at the first transcript or the message cue).
      if (!this.text && !this.mayTurnScreening(d)) this.finish(null);
      else {
        if (this.text) this.prepared = prepareMessage(this.deps.tts, this.text, this.deps.rateHz, this.abort.signal);
        // The detector's own bound counts caller frames; this one holds if they stop coming altogether.
        this.deadline = setTimeout(
          () => void this.leave({ after: "timeout", atMs: this.detector.nowMs }),
          MAX_BEEP_WAIT_MS + 1000,
        );
      }
    }
    for (const run of this.waiting.splice(0)) run();
  }

  private mayTurnScreening(d: AmdDecision): boolean {
    return (d.reason === "long_greeting" || d.reason === "greeting_resumed") && this.detector.awaitingTranscript;
  }

  /**
   * A call-screening service: answered like a person (it passes what the assistant says on to one), told
   * what it is talking to; a machine decision the greeting's length made before its words came is undone.
   */
  private screened(): void {
    this.abort.abort();
    this.prepared = null;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.deps.screening();
  }

  private async leave(cue: MessageCue): Promise<void> {
    if (this.done || this.leaving) return;
    if (!this.text) {
      this.finish(null, cue.after);
      return;
    }
    this.leaving = true;
    const cuedAt = this.deps.now();
    // The cue comes one frame after the tone stopped: that frame counts towards beep-to-message.
    const detectionMs = this.detector.nowMs - cue.atMs;
    const pcm = await this.prepared;
    if (this.done) return;
    if (pcm) {
      const start = this.deps.audio.playedSamples;
      this.deps.audio.flush();
      this.deps.audio.play(pcm);
      const beepToMessage = cue.after === "beep" ? Math.round(detectionMs + this.deps.now() - cuedAt) : undefined;
      this.deps.message("assistant", this.text);
      await this.deps.audio.whenPlayed(start + pcm.length);
      this.finish(this.text, cue.after, beepToMessage);
      return;
    }
    await this.deps.sayFallback(this.text);
    this.deps.message("assistant", this.text);
    this.finish(this.text, cue.after);
  }

  private finish(message: string | null, cue?: MessageCue["after"], beepToMessage?: number): void {
    if (this.done) return;
    this.done = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.deps.report({
      ...this.report!,
      message,
      ...(cue ? { cue } : {}),
      ...(beepToMessage !== undefined ? { beep_to_message_ms: beepToMessage } : {}),
    });
    this.deps.hangUp();
  }

  close(): void {
    this.done = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.abort.abort();
    this.detector.close();
  }
}
