/**
 * Lets progress through at most once per interval, so a fast local download does not flood every
 * WebSocket with hundreds of events a second; state changes always pass (`force`).
 */
export class ProgressThrottle {
  private last = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  shouldEmit(force = false): boolean {
    const t = this.now();
    if (!force && t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }
}
