/** How a ringing call that no assistant takes ended its ringing. */
export type RingOutcome = "answered" | "declined" | "timeout" | "cancelled";

/**
 * Calls for a number without an active assistant ring the open consoles (the events WebSocket with
 * `role=console`) until a person answers or declines one through the API, the caller gives up, or the
 * ring time runs out. With no console open nobody could answer, so such calls are not rung at all.
 */
export class ConsoleRing {
  private consoles = 0;
  private readonly ringing = new Map<string, (outcome: RingOutcome) => void>();

  constructor(readonly ringSeconds = 30) {}

  /** An open console; call the returned function when it closes. */
  register(): () => void {
    this.consoles++;
    let open = true;
    return () => { if (open) { open = false; this.consoles--; } };
  }

  get consoleCount(): number { return this.consoles; }

  isRinging(callId: string): boolean { return this.ringing.has(callId); }

  /** Resolves once the call stops ringing, with why. */
  ring(callId: string, signal?: AbortSignal): Promise<RingOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle("timeout"), this.ringSeconds * 1000);
      const settle = (outcome: RingOutcome) => {
        if (this.ringing.get(callId) !== settle) return;
        this.ringing.delete(callId);
        clearTimeout(timer);
        signal?.removeEventListener("abort", cancel);
        resolve(outcome);
      };
      const cancel = () => settle("cancelled");
      this.ringing.set(callId, settle);
      signal?.addEventListener("abort", cancel);
    });
  }

  /** False when the call is not ringing (already answered, declined, or never rang). */
  answer(callId: string): boolean { return this.settle(callId, "answered"); }
  decline(callId: string): boolean { return this.settle(callId, "declined"); }

  private settle(callId: string, outcome: RingOutcome): boolean {
    const settle = this.ringing.get(callId);
    if (!settle) return false;
    settle(outcome);
    return true;
  }
}
