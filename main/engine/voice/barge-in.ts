import type { TurnTaking } from "./assistant-config.js";
import type { Speaker } from "./speaker.js";

export interface BargeInHooks {
  /** The caller took the turn: `heard` is what they heard of the cut reply. */
  interrupted(heard: string): void;
  /** A held reply whose generation had been stopped played out in full after all. */
  spokenAfterAll(text: string): void;
}

/**
 * Caller speech over our reply. Playout is held within the VAD window the speech began in; the hold
 * becomes an interruption once the speech lasts `interruptionMinMs` (and has `interruptionMinWords`),
 * which stops the reply and flushes its queued audio; a short sound or a false interruption resumes it.
 */
export class BargeIn {
  /** Playout held at this sample while we find out whether the caller is really taking the turn. */
  private pausedAt: number | null = null;
  private interrupting = false;
  private falseInterruptionTimer: NodeJS.Timeout | null = null;
  /** The next reply's metrics say the caller interrupted the previous one. */
  private lastInterrupted = false;

  constructor(
    private readonly tt: TurnTaking,
    private readonly speaker: Speaker,
    private readonly hooks: BargeInHooks,
  ) {}

  get holding(): boolean {
    return this.pausedAt !== null;
  }

  speechStarted(): void {
    if (this.speaker.audible && this.pausedAt === null) this.pausedAt = this.speaker.hold();
  }

  speaking(speechMs: number): void {
    if (this.pausedAt === null || this.interrupting || speechMs < this.tt.interruptionMinMs) return;
    this.interrupting = true;
    // With a word threshold, wait for the transcript; otherwise stop writing the reply now.
    if (this.tt.interruptionMinWords === 0) {
      this.speaker.abortCurrent();
      if (this.tt.falseInterruptionMs === null) this.commit();
    }
  }

  /** A short sound during our speech: let the caller hear the rest. */
  pausing(silenceMs: number, speechMs: number, windowMs: number): void {
    if (
      this.pausedAt !== null &&
      !this.interrupting &&
      silenceMs >= 2 * windowMs &&
      speechMs < this.tt.interruptionMinMs
    )
      this.resume();
  }

  /** The speech was too short to be a turn. */
  tooShort(): void {
    if (this.pausedAt !== null && !this.interrupting) this.resume();
  }

  /** Speech ended while held: without words within the false-interruption timeout, the reply resumes. */
  speechEnded(): void {
    if (this.pausedAt === null || this.tt.falseInterruptionMs === null) return;
    this.clearTimer();
    this.falseInterruptionTimer = setTimeout(() => {
      this.falseInterruptionTimer = null;
      if (this.pausedAt !== null) this.resume();
    }, this.tt.falseInterruptionMs);
  }

  recognitionFailed(): void {
    if (this.pausedAt !== null) this.resume();
  }

  /** The caller's words are known; false when they do not make a turn (the reply resumed). */
  transcript(words: number): boolean {
    const enough = words >= Math.max(1, this.tt.interruptionMinWords);
    if (this.pausedAt !== null || this.interrupting) {
      if (enough) this.commit();
      else {
        this.resume();
        return false;
      }
    } else if (words > 0 && this.speaker.audible && enough) {
      // The false-interruption timer resumed us before the transcript came: it was real after all.
      this.pausedAt = this.speaker.hold();
      this.commit();
    }
    return true;
  }

  /** True once, for the first reply after an interruption. */
  takeInterrupted(): boolean {
    const was = this.lastInterrupted;
    this.lastInterrupted = false;
    return was;
  }

  /** A false interruption: the caller hears the rest of what was queued. */
  private resume(): void {
    this.clearTimer();
    this.pausedAt = null;
    this.interrupting = false;
    this.speaker.resume();
    // Its generation was stopped at the interruption, but what was queued plays in full: store that.
    const r = this.speaker.current;
    if (r && r.aborted && !r.finished) {
      r.finished = true;
      this.speaker.current = null;
      this.hooks.spokenAfterAll(r.text);
    }
  }

  /** The caller took the turn: drop our queued audio and keep only what they heard of the reply. */
  private commit(): void {
    this.clearTimer();
    const at = this.pausedAt ?? this.speaker.playedSamples;
    const reply = this.speaker.current;
    this.pausedAt = null;
    this.interrupting = false;
    this.speaker.flush();
    if (reply && !reply.finished) {
      reply.abort.abort();
      reply.finished = true;
      this.speaker.current = null;
      this.hooks.interrupted(reply.heardAt(at));
    }
    this.lastInterrupted = true;
  }

  private clearTimer(): void {
    if (this.falseInterruptionTimer) {
      clearTimeout(this.falseInterruptionTimer);
      this.falseInterruptionTimer = null;
    }
  }

  close(): void {
    this.clearTimer();
  }
}
