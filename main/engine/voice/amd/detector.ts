import { AmdClassifier, AMD_THRESHOLDS, type AmdDecision, type AmdThresholds } from "./classifier.js";
import { BeepDetector, type BeepEvent } from "./beep.js";

export type { AmdDecision, AmdResult, AmdReason } from "./classifier.js";
export { AMD_THRESHOLDS } from "./classifier.js";

/** When a voicemail starts recording, so the message goes in whole. */
export interface MessageCue {
  after: "beep" | "silence" | "timeout";
  /** Media time (ms since answer) of the cue; for a beep, the end of the tone. */
  atMs: number;
  beep?: BeepEvent;
}

export interface AmdListener {
  decided(d: AmdDecision): void;
  /** After a `machine` decision: the greeting is over, speak now. */
  leaveMessage(cue: MessageCue): void;
}

/** No beep, and the greeting has been quiet this long: the machine is recording already. */
export const NO_BEEP_SILENCE_MS = 2000;
/** A machine by timing, its transcript not in yet: how much longer the no-beep cue waits for it (a screener?). */
export const TRANSCRIPT_GRACE_MS = 2000;
/** The bound on waiting for a beep after a machine decision (some greetings run long). */
export const MAX_BEEP_WAIT_MS = 30_000;

const RATE = 8000;

/**
 * Answering-machine detection for one outbound call, armed at the answer (so a 425 Hz ringback never
 * reaches the beep detector): caller frames go to the Goertzel beep detector (a few µs per frame,
 * inline), and the call's VAD probabilities (the turn detector's Silero, scored off the media loop) are
 * tapped rather than scored twice. It decides once, then, on `machine`, keeps
 * listening for the moment to leave the message. Stops listening after that.
 */
export class AnsweringMachineDetector {
  private readonly classifier: AmdClassifier;
  private readonly beeps: BeepDetector;
  private samples = 0;
  private beepSounding = false;
  private cued = false;
  private closed = false;

  constructor(
    private readonly listener: AmdListener,
    opts: { expectTranscript?: boolean; thresholds?: AmdThresholds } = {},
  ) {
    this.classifier = new AmdClassifier(
      (d) => this.listener.decided(d),
      opts.thresholds ?? AMD_THRESHOLDS,
      opts.expectTranscript ?? false,
    );
    this.beeps = new BeepDetector({
      beepStarted: (e) => {
        this.beepSounding = true;
        this.classifier.beep(e.atMs);
      },
      beepEnded: (e) => {
        this.beepSounding = false;
        if (this.classifier.decision?.result === "machine") this.cue({ after: "beep", atMs: e.endMs, beep: e });
      },
    });
  }

  get decision(): AmdDecision | null {
    return this.classifier.decision;
  }

  get awaitingTranscript(): boolean {
    return this.classifier.awaitingTranscript;
  }

  /** Media time since the answer, from the frames pushed. */
  get nowMs(): number {
    return (this.samples / RATE) * 1000;
  }

  /** Whether it still wants caller audio (until the message cue, or a person/unknown decision). */
  get listening(): boolean {
    return (
      !this.closed && !this.cued && (this.classifier.decision === null || this.classifier.decision.result === "machine")
    );
  }

  /** One caller frame (8 kHz PCM). */
  push(pcm: Int16Array): void {
    if (!this.listening) return;
    this.samples += pcm.length;
    this.beeps.push(pcm);
    const d = this.classifier.decision;
    if (d?.result === "machine" && this.nowMs - d.atMs >= MAX_BEEP_WAIT_MS)
      this.cue({ after: "timeout", atMs: this.nowMs });
  }

  /** A transcript of the far end, for the phrase rules (until the message is cued). */
  transcript(text: string): void {
    if (this.closed || this.cued) return;
    this.classifier.transcript(text);
    if (this.classifier.decision?.result === "screening") this.close();
  }

  /** One VAD window's speech probability, in order. */
  probability(p: number, windowMs: number): void {
    if (this.closed || this.cued) return;
    this.classifier.window(p, windowMs);
    const d = this.classifier.decision;
    if (d?.result !== "machine") {
      if (d) this.close();
      return;
    }
    const quietMs = NO_BEEP_SILENCE_MS + (this.classifier.awaitingTranscript ? TRANSCRIPT_GRACE_MS : 0);
    if (!this.beepSounding && !this.classifier.speaking && this.classifier.quietForMs >= quietMs)
      this.cue({ after: "silence", atMs: this.classifier.nowMs });
  }

  private cue(c: MessageCue): void {
    if (this.cued || this.closed) return;
    this.cued = true;
    this.listener.leaveMessage(c);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
  }
}
