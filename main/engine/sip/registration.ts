import { Registerer, RegistererState, type UserAgent } from "sip.js";
import type { IncomingResponseMessage } from "sip.js/lib/core";

export type RegistrationStatus = "registered" | "registering" | "failed" | "unregistered";
export interface RegistrationState { status: RegistrationStatus; reason: string | null; expires_at: string | null }

export interface RegistrationOptions {
  trunkName: string;
  expiresSeconds: number;
  /** Backoff after a failure: base doubles up to max (bounded: no storm against a registrar). */
  retryBaseMs: number;
  retryMaxMs: number;
  onChange: (state: RegistrationState) => void;
  /** The registrar saw us at another address (NAT): return true when the contact was updated. */
  onReceived?: (response: IncomingResponseMessage) => boolean;
}

/** Human reasons for the registrar's answers. */
function describeRejection(trunk: string, code: number, phrase: string): string {
  if (code === 401 || code === 407 || code === 403) return `SIP trunk '${trunk}' rejected our credentials (${code} ${phrase}): check username and password`;
  if (code === 404) return `SIP trunk '${trunk}' does not know this user (${code} ${phrase}): check the username`;
  if (code === 408) return `SIP trunk '${trunk}' did not answer (408 Request Timeout): check the address and that the server is up`;
  if (code === 423) return `SIP trunk '${trunk}' wants a longer registration interval (423 Interval Too Brief)`;
  return `SIP trunk '${trunk}' refused registration (${code} ${phrase})`;
}

/**
 * Keeps one trunk registered: sip.js's Registerer does digest auth and refreshes before expiry; this adds
 * bounded exponential backoff after failures, a re-register on demand (network change, NAT contact fix)
 * and a status a person can read.
 */
export class TrunkRegistration {
  private readonly registerer: Registerer;
  private state: RegistrationState = { status: "unregistered", reason: null, expires_at: null };
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  readonly attempts = { count: 0 };

  constructor(ua: UserAgent, private readonly opts: RegistrationOptions) {
    this.registerer = new Registerer(ua, { expires: opts.expiresSeconds, refreshFrequency: 90 });
    this.registerer.stateChange.addListener((s) => {
      // "Registered" is reported from onAccept, which knows the granted expiry.
      if (s === RegistererState.Unregistered && this.state.status === "registered" && !this.stopped) {
        this.fail("Registration expired or was removed by the server");
      }
    });
  }

  get current(): RegistrationState { return this.state; }

  start(): void {
    this.stopped = false;
    this.attempt();
  }

  /** Re-register now (network change, contact fixed after NAT discovery). */
  refresh(): void {
    if (this.stopped) return;
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = null; }
    this.attempt();
  }

  private attempt(): void {
    this.attempts.count++;
    if (this.state.status !== "registered") this.set({ ...this.state, status: "registering" });
    this.registerer.register({
      requestDelegate: {
        onAccept: (response) => {
          const expires = Number(/expires=(\d+)/i.exec(response.message.getHeader("contact") ?? "")?.[1] ?? response.message.getHeader("expires") ?? this.opts.expiresSeconds);
          if (this.opts.onReceived?.(response.message)) { setImmediate(() => this.refresh()); return; }
          this.failures = 0;
          this.set({ status: "registered", reason: null, expires_at: new Date(Date.now() + expires * 1000).toISOString() });
        },
        onReject: (response) => {
          this.fail(describeRejection(this.opts.trunkName, response.message.statusCode ?? 0, response.message.reasonPhrase ?? ""));
        },
      },
    }).catch((err: Error) => this.fail(`Could not send REGISTER for SIP trunk '${this.opts.trunkName}': ${err.message}`));
  }

  /** Called by the stack when a REGISTER transaction times out (no answer at all). */
  timedOut(): void {
    this.fail(`SIP trunk '${this.opts.trunkName}' did not answer: check the address, port and transport, and that the server is reachable`);
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.failures++;
    this.set({ status: "failed", reason, expires_at: null });
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (this.failures - 1));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.attempt(); }, delay * (0.8 + Math.random() * 0.4));
    this.retryTimer.unref();
  }

  private set(next: RegistrationState): void {
    const changed = next.status !== this.state.status || next.reason !== this.state.reason || next.expires_at !== this.state.expires_at;
    this.state = next;
    if (changed) this.opts.onChange(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Unregister politely, but a dead registrar must not hold shutdown for Timer F (32 s).
    const bounded = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.registerer.state === RegistererState.Registered) await bounded(this.registerer.unregister());
    await bounded(this.registerer.dispose());
    this.set({ status: "unregistered", reason: null, expires_at: null });
  }
}
