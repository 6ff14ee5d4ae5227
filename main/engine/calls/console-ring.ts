import type { CallManager } from "./call-manager.js";

/**
 * The consoles that are open (events WebSocket with `role=console`): calls for a number without an active
 * assistant ring them until a person answers or declines through the API, the caller gives up, or the
 * ring time runs out. With no console open nobody could answer, so such calls are not rung at all. The
 * ringing itself belongs to each live call; this is how the API reaches it.
 */
export class ConsoleRing {
  private consoles = 0;

  constructor(
    private readonly calls: CallManager,
    readonly ringSeconds = 30,
  ) {}

  /** An open console; call the returned function when it closes. */
  register(): () => void {
    this.consoles++;
    let open = true;
    return () => {
      if (open) {
        open = false;
        this.consoles--;
      }
    };
  }

  get consoleCount(): number {
    return this.consoles;
  }

  /** False when the call is not ringing (already answered, declined, or never rang). */
  answer(callId: string): boolean {
    return this.calls.liveCall(callId)?.settleRing("answered") ?? false;
  }
  decline(callId: string): boolean {
    return this.calls.liveCall(callId)?.settleRing("declined") ?? false;
  }
}
