import type { SipMessageInfo } from "./message-info.js";

/** RFC 3261 timer values (§17.1.1.1, §17.1.2.2, §17.2.1). */
export interface SipTimers {
  t1Ms: number;
  t2Ms: number;
}
export const DEFAULT_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000 };

interface Pending {
  send: () => void;
  intervalMs: number;
  /** Non-INVITE requests keep retransmitting at T2 after a provisional response (§17.1.2.2). */
  capAtT2: boolean;
  deadline: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Retransmission over UDP, which sip.js leaves out (its Timer A, E and G are open items in its source):
 * - Timer A: INVITE requests, T1 doubling, until any response (Timer B: 64·T1 gives up);
 * - Timer E: non-INVITE requests, T1 doubling capped at T2, until a final response (Timer F: 64·T1);
 * - Timer G: final responses to INVITE (including 2xx, §13.3.1.4), T1 doubling capped at T2, until the ACK
 *   (Timer H: 64·T1).
 * The transaction layer above still owns timeouts; this only repeats datagrams.
 */
export class Retransmitter {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timers: SipTimers = DEFAULT_TIMERS) {}

  /** Called for every message we send over UDP. */
  onSend(info: SipMessageInfo, send: () => void): void {
    if (info.kind === "request") {
      if (info.method === "ACK" || !info.branch) return;
      this.track(`req:${info.branch}:${info.method}`, send, info.method !== "INVITE");
    } else if (info.method === "INVITE" && info.status >= 200) {
      this.track(`inv:${info.callId}:${info.cseq}`, send, true);
    }
  }

  /** Called for every message we receive; stops what it answers. */
  onReceive(info: SipMessageInfo): void {
    if (info.kind === "response") {
      const key = `req:${info.branch}:${info.method}`;
      const p = this.pending.get(key);
      if (!p) return;
      if (info.method === "INVITE" || info.status >= 200) this.stop(key);
      else p.intervalMs = this.timers.t2Ms; // provisional to non-INVITE: keep going at T2
    } else if (info.method === "ACK") {
      this.stop(`inv:${info.callId}:${info.cseq}`);
    } else if (info.method === "CANCEL") {
      // A CANCEL'd INVITE server transaction will answer 487; nothing to stop here.
    }
  }

  private track(key: string, send: () => void, capAtT2: boolean): void {
    this.stop(key);
    const p: Pending = {
      send,
      intervalMs: this.timers.t1Ms,
      capAtT2,
      deadline: Date.now() + 64 * this.timers.t1Ms,
      timer: null,
    };
    this.pending.set(key, p);
    this.schedule(key, p);
  }

  private schedule(key: string, p: Pending): void {
    p.timer = setTimeout(() => {
      if (this.pending.get(key) !== p) return;
      if (Date.now() >= p.deadline) {
        this.pending.delete(key);
        return;
      }
      p.send();
      p.intervalMs = p.capAtT2 ? Math.min(p.intervalMs * 2, this.timers.t2Ms) : p.intervalMs * 2;
      this.schedule(key, p);
    }, p.intervalMs);
    p.timer.unref();
  }

  private stop(key: string): void {
    const p = this.pending.get(key);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }

  close(): void {
    for (const key of [...this.pending.keys()]) this.stop(key);
  }
}
