import { Registerer, RegistererState, RequestPendingError, type UserAgent } from "sip.js";
import type { IncomingResponseMessage } from "sip.js/lib/core";

export type RegistrationStatus = "registered" | "registering" | "failed" | "unregistered";
export interface RegistrationState {
  status: RegistrationStatus;
  reason: string | null;
  expires_at: string | null;
  /** The server ("ip:port") the last REGISTER went to. */
  server: string | null;
  /** The Contact the registrar holds for us while registered. */
  contact: string | null;
  /** The registrar's last final status code (null: none yet, or no answer at all). */
  code: number | null;
  /** When the last REGISTER attempt started. */
  last_attempt_at: string | null;
  /** When the next attempt after a failure is due (null: none scheduled). */
  next_retry_at: string | null;
}

/** A registration that has not been tried (yet). */
export const NO_REGISTRATION = {
  status: "unregistered",
  reason: null,
  expires_at: null,
  server: null,
  contact: null,
  code: null,
  last_attempt_at: null,
  next_retry_at: null,
} as const satisfies RegistrationState;

export interface RegistrationOptions {
  trunkName: string;
  expiresSeconds: number;
  /** Backoff after a failure: base doubles up to max (bounded: no storm against a registrar). */
  retryBaseMs: number;
  retryMaxMs: number;
  onChange: (state: RegistrationState) => void;
  /** Runs before each REGISTER (DNS, the route's local address); what it throws is the reason shown. */
  prepare?: () => Promise<void>;
  /** Where the next REGISTER goes and with which Contact, for the state a person reads. */
  describeTarget?: () => { server: string | null; contact: string };
  /** The registrar saw us at another address (NAT): return true when the contact was updated. */
  onReceived?: (response: IncomingResponseMessage) => boolean;
  /**
   * No answer at all (the transaction timed out): return true when another server is left to try now
   * (RFC 3263 §4.3 failover), else the text to show.
   */
  onNoAnswer?: () => true | string;
  /** The transport could not send (TCP refused, TLS not trusted…): the text to show. */
  transportProblem?: () => string | null;
}

/** Human reasons for the registrar's answers. */
function describeRejection(trunk: string, code: number, phrase: string): string {
  if (code === 401 || code === 407)
    return `SIP trunk '${trunk}' rejected our credentials (${code} ${phrase}): check username and password`;
  if (code === 403)
    return `SIP trunk '${trunk}': ${code} ${phrase} from the registrar: check username and password, and that this account may register from this address`;
  if (code === 404) return `SIP trunk '${trunk}' does not know this user (${code} ${phrase}): check the username`;
  if (code === 408)
    return `SIP trunk '${trunk}' answered 408 Request Timeout: its registrar could not be reached from the proxy`;
  if (code === 423) return `SIP trunk '${trunk}' wants a longer registration interval (423 Interval Too Brief)`;
  return `SIP trunk '${trunk}' refused registration (${code} ${phrase})`;
}

/**
 * Keeps one trunk registered: sip.js's Registerer does digest auth and refreshes before expiry; this adds
 * bounded exponential backoff after failures, failover between a name's servers, a re-register on demand
 * (network change, NAT contact fix) and a status a person can read.
 */
export class TrunkRegistration {
  private readonly registerer: Registerer;
  private state: RegistrationState = { ...NO_REGISTRATION };
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  private preparing = false;
  private refreshTimer: NodeJS.Timeout | null = null;
  /** Contact URIs we registered before the current one (NAT discovery, network change): removed with the next REGISTER. */
  private stale: string[] = [];
  readonly attempts = { count: 0 };

  constructor(
    ua: UserAgent,
    private readonly opts: RegistrationOptions,
  ) {
    this.registerer = new Registerer(ua, { expires: opts.expiresSeconds, refreshFrequency: 90 });
    this.registerer.stateChange.addListener((s) => {
      // "Registered" is reported from onAccept, which knows the granted expiry.
      if (s === RegistererState.Unregistered && this.state.status === "registered" && !this.stopped) {
        this.fail("Registration expired or was removed by the server");
      }
    });
  }

  get current(): RegistrationState {
    return this.state;
  }

  start(): void {
    this.stopped = false;
    void this.attempt();
  }

  /** The Contact changed: the next REGISTER also removes the old binding, so calls do not fork to a dead address. */
  contactChanged(previous: string): void {
    if (!this.stale.includes(previous)) this.stale.push(previous);
  }

  /** Re-register now (network change, contact fixed after NAT discovery). */
  refresh(): void {
    if (this.stopped) return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (this.preparing) return;
    this.attempts.count++;
    this.set({
      ...this.state,
      status: this.state.status === "registered" ? "registered" : "registering",
      last_attempt_at: new Date().toISOString(),
      next_retry_at: null,
    });
    this.preparing = true;
    try {
      await this.opts.prepare?.();
    } catch (err) {
      this.fail((err as Error).message);
      return;
    } finally {
      this.preparing = false;
    }
    if (this.stopped) return;
    const target = this.opts.describeTarget?.();
    const removing = this.stale;
    this.registerer
      .register({
        requestOptions: { extraHeaders: removing.map((uri) => `Contact: <${uri}>;expires=0`) },
        requestDelegate: {
          onAccept: (response) => {
            this.stale = this.stale.filter((uri) => !removing.includes(uri));
            const expires = Number(
              /expires=(\d+)/i.exec(response.message.getHeader("contact") ?? "")?.[1] ??
                response.message.getHeader("expires") ??
                this.opts.expiresSeconds,
            );
            // We refresh ourselves (sip.js's own refresh has no delegate: its failures would go unexplained).
            (this.registerer as unknown as { clearTimers(): void }).clearTimers();
            this.scheduleRefresh(expires);
            if (this.opts.onReceived?.(response.message)) {
              setImmediate(() => this.refresh());
              return;
            }
            this.failures = 0;
            this.set({
              status: "registered",
              reason: null,
              expires_at: new Date(Date.now() + expires * 1000).toISOString(),
              server: target?.server ?? null,
              contact: target?.contact ?? null,
              code: response.message.statusCode ?? 200,
              last_attempt_at: this.state.last_attempt_at,
              next_retry_at: null,
            });
          },
          onReject: (response) => {
            const m = response.message;
            // sip.js reports a timeout as a 408 and a transport failure as a 503 it made up itself: no Via.
            const internal = !m.getHeader("via");
            if (internal && m.statusCode === 408) {
              const next = this.opts.onNoAnswer?.() ?? `SIP trunk '${this.opts.trunkName}' did not answer`;
              if (next === true) {
                setImmediate(() => this.refresh());
                return;
              }
              this.fail(next);
            } else if (internal && m.statusCode === 503) {
              this.fail(this.opts.transportProblem?.() ?? `SIP trunk '${this.opts.trunkName}' could not be reached`);
            } else
              this.fail(describeRejection(this.opts.trunkName, m.statusCode ?? 0, m.reasonPhrase ?? ""), m.statusCode);
          },
        },
      })
      .catch((err: Error) => {
        // One REGISTER at a time (RFC 3261 §10.2): a refresh asked for meanwhile goes out after it.
        if (err instanceof RequestPendingError) {
          this.scheduleRefresh(1 / 0.9);
          return;
        }
        this.fail(`Could not send REGISTER for SIP trunk '${this.opts.trunkName}': ${err.message}`);
      });
  }

  /** The next REGISTER at 90 % of the granted interval (as sip.js would), never sooner than 1 s. */
  private scheduleRefresh(expiresSeconds: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(
      () => {
        this.refreshTimer = null;
        void this.attempt();
      },
      Math.max(1000, expiresSeconds * 900),
    );
    this.refreshTimer.unref();
  }

  private fail(reason: string, code: number | null = null): void {
    if (this.stopped) return;
    this.failures++;
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    const delay =
      Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4);
    this.set({
      status: "failed",
      reason,
      expires_at: null,
      server: this.opts.describeTarget?.().server ?? this.state.server,
      contact: null,
      code,
      last_attempt_at: this.state.last_attempt_at,
      next_retry_at: new Date(Date.now() + delay).toISOString(),
    });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attempt();
    }, delay);
    this.retryTimer.unref();
  }

  /** A failure found outside a REGISTER transaction (e.g. DNS at start): shown and retried with backoff. */
  failWith(reason: string): void {
    this.fail(reason);
  }

  private set(next: RegistrationState): void {
    const changed =
      next.status !== this.state.status ||
      next.reason !== this.state.reason ||
      next.expires_at !== this.state.expires_at ||
      next.server !== this.state.server ||
      next.contact !== this.state.contact ||
      next.code !== this.state.code ||
      next.last_attempt_at !== this.state.last_attempt_at ||
      next.next_retry_at !== this.state.next_retry_at;
    this.state = next;
    if (changed) this.opts.onChange(next);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    // Unregister politely, but a dead registrar must not hold shutdown for Timer F (32 s).
    const bounded = (p: Promise<unknown>) =>
      Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.registerer.state === RegistererState.Registered) await bounded(this.registerer.unregister());
    await bounded(this.registerer.dispose());
    this.set({ ...NO_REGISTRATION });
  }
}
