import type { SilencePlan } from "./assistant-config.js";

const CHECK_EVERY_MS = 200;

export interface WatchdogHooks {
  /** True while anything is going on: the caller talking, our audio, a reply on its way. */
  busy(): boolean;
  say(line: string): Promise<void>;
  /** No answer after the last prompt: say `finalMessage` and hang up. */
  giveUp(finalMessage: string): void;
}

/**
 * Silence handling (autonomous_silence_handling): after `firstCheckMs` of a quiet line, then every
 * `intervalMs`, a prompt such as "Are you still there?"; after `maxAttempts` unanswered, the goodbye.
 */
export class SilenceWatchdog {
  private quietSince: number;
  private attempts = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly plan: SilencePlan,
    private readonly hooks: WatchdogHooks,
    private readonly now: () => number,
  ) {
    this.quietSince = now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  /** The line went quiet now (a reply or the caller's speech ended). */
  quiet(): void {
    this.quietSince = this.now();
  }

  /** Agent audio is playing: no silence until it ends and `quiet` is called. */
  sound(): void {
    this.quietSince = Infinity;
  }

  /** The caller spoke: the prompts start over. */
  answered(): void {
    this.attempts = 0;
  }

  private check(): void {
    if (this.hooks.busy()) return;
    const due = this.attempts === 0 ? this.plan.firstCheckMs : this.plan.intervalMs;
    if (this.now() - this.quietSince < due) return;
    this.quietSince = Infinity; // until the prompt has been played
    if (this.attempts >= this.plan.maxAttempts) {
      this.hooks.giveUp(this.plan.finalMessage);
      return;
    }
    const line = this.plan.messages[Math.min(this.attempts, this.plan.messages.length - 1)];
    this.attempts++;
    void this.hooks.say(line).then(() => this.quiet());
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
