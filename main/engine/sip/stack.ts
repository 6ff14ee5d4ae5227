import { EventEmitter } from "node:events";
import { Timers } from "sip.js/lib/core/timers.js";
import type { Remote } from "./udp-endpoint.js";
import type { RegistrationState } from "./registration.js";
import type { SipTimers } from "./retransmitter.js";
import { SipListeners } from "./listeners.js";
import { SipRouter } from "./router.js";
import { TrunkAgent, type TrunkConfig } from "./trunk-agent.js";
import { SipResolver } from "./dns.js";
import { isUnspecified } from "./local-address.js";
import type { RtpPortRange } from "../media/rtp-session.js";
import { dial, IncomingCall, type DialOptions, type OutgoingCall } from "./call-leg.js";
import { SipLog, type SipLogEntry } from "./sip-log.js";

export { SipListenError } from "./listeners.js";
export { ORIGINAL_URI_HEADER } from "./router.js";
export type { TrunkConfig } from "./trunk-agent.js";
export type { SipLogEntry } from "./sip-log.js";

export interface SipStackOptions {
  /** Where SIP listens: all interfaces by default ("0.0.0.0"), never the API's address. */
  host: string;
  /** UDP and TCP share this port (0: a free one for both). */
  udpPort: number;
  /** Also accept SIP over TCP on the UDP port (default true). */
  tcp?: boolean;
  /** A fixed public address for Via, Contact and SDP, instead of the route's local address. */
  publicAddress?: string;
  /** DNS servers for trunk names (default: the system's). */
  dnsServers?: readonly string[];
  /** Our UDP retransmission intervals (sip.js keeps its own transaction timeouts). */
  timers?: SipTimers;
  registerExpiresSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  userAgentString?: string;
  rtpPorts?: RtpPortRange;
  /** How often each trunk checks whether the route's local address changed (default 30 s). */
  addressCheckMs?: number;
}

export interface SipStackEvents {
  registration: [trunkId: string, state: RegistrationState];
  invite: [trunk: TrunkConfig, call: IncomingCall];
  malformed: [Remote, string];
  /** A request from a source that is none of our trunks', answered 403. */
  rejected: [Remote, string];
}

/**
 * One SIP endpoint for all trunks: the listeners, one agent per trunk (its user agent, registration,
 * DNS, NAT), and the router that hands each incoming message to the trunk it belongs to.
 */
export class SipStack extends EventEmitter<SipStackEvents> {
  private readonly sockets: SipListeners;
  private readonly router: SipRouter;
  private readonly agents = new Map<string, TrunkAgent>();
  /** Each trunk's last SIP messages; kept across an agent rebuilt after a change, dropped with the trunk. */
  private readonly logs = new Map<string, SipLog>();
  private readonly resolver: SipResolver;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SipStackOptions) {
    super();
    if (opts.publicAddress && isUnspecified(opts.publicAddress))
      throw new Error(`${opts.publicAddress} is no public address: give the address peers reach this machine at`);
    this.sockets = new SipListeners({ host: opts.host, port: opts.udpPort, tcp: opts.tcp, timers: opts.timers });
    this.resolver = new SipResolver(opts.dnsServers);
    this.router = new SipRouter(this.agents, this.sockets, opts.userAgentString ?? "VoiceDock", (remote, method) =>
      this.emit("rejected", remote, method),
    );
    this.sockets.on("message", (m, conn) => this.router.route(m, conn));
    this.sockets.on("malformed", (remote, text) => this.emit("malformed", remote, text));
  }

  /** Binds UDP + TCP, and TLS when given its port (0: a free one) and the certificate it presents. */
  async start(tls: { port: number; cert: string; key: string } | null = null): Promise<Remote> {
    const local = await this.sockets.start(tls);
    this.sweeper = setInterval(() => this.router.sweep(), 60_000);
    this.sweeper.unref();
    return local;
  }

  /** UDP (and TCP, same port). */
  get address(): Remote {
    return this.sockets.address;
  }
  get tlsAddress(): Remote | null {
    return this.sockets.tlsAddress;
  }
  get udpStats() {
    return this.sockets.udp.stats;
  }
  /** Requests answered 403 because no trunk accepts their source. */
  get rejectedRequests(): number {
    return this.router.stats.rejected;
  }

  async addTrunk(trunk: TrunkConfig): Promise<void> {
    await this.removeTrunk(trunk.id);
    const agent = new TrunkAgent(trunk, {
      listeners: this.sockets,
      resolver: this.resolver,
      publicAddress: this.opts.publicAddress,
      rtpHost: this.opts.host,
      rtpPorts: this.opts.rtpPorts ?? { min: 10000, max: 20000 },
      registerExpiresSeconds: this.opts.registerExpiresSeconds ?? 300,
      retryBaseMs: this.opts.retryBaseMs ?? 2000,
      retryMaxMs: this.opts.retryMaxMs ?? 300_000,
      // sip.js owns the transaction timeouts (its Timer F is 64 × its own T1): that is how long "no answer" took.
      noAnswerSeconds: Math.round(Timers.TIMER_F / 1000),
      addressCheckMs: this.opts.addressCheckMs ?? 30_000,
      userAgentString: this.opts.userAgentString ?? "VoiceDock",
      sendOnStream: (text) => this.router.sendOnStream(text),
      remember: (text, trunkId) => this.router.remember(text, trunkId),
      deliverFromStream: (m, trunkId) => this.router.route(m, undefined, trunkId),
      onRegistration: (state) => this.emit("registration", trunk.id, state),
      log: this.logs.get(trunk.id) ?? this.logs.set(trunk.id, new SipLog()).get(trunk.id)!,
      onInvite: (invitation) => this.emit("invite", trunk, new IncomingCall(invitation, trunk.id)),
    });
    this.agents.set(trunk.id, agent);
    await agent.start();
  }

  registrationOf(trunkId: string): RegistrationState | null {
    return this.agents.get(trunkId)?.state ?? null;
  }

  /** The trunk's last SIP messages, oldest first (empty when it never sent or received one). */
  sipLog(trunkId: string): SipLogEntry[] {
    return this.logs.get(trunkId)?.entries() ?? [];
  }

  /** Drops a deleted trunk's SIP log. */
  forgetLog(trunkId: string): void {
    this.logs.delete(trunkId);
  }

  /**
   * Sends a REGISTER now instead of waiting for the retry timer ("register now"); false when the trunk
   * does not run or does not register.
   */
  registerNow(trunkId: string): boolean {
    const registration = this.agents.get(trunkId)?.registration;
    if (!registration) return false;
    registration.refresh();
    return true;
  }

  /** Whether the trunk's user agent runs (it may still be registering). */
  hasTrunk(trunkId: string): boolean {
    return Boolean(this.agents.get(trunkId)?.ua);
  }

  /** Places a call on the trunk; undefined when the trunk does not run or the target is no SIP URI. */
  dial(trunkId: string, opts: DialOptions): OutgoingCall | undefined {
    const ua = this.agents.get(trunkId)?.ua;
    return ua ? dial(ua, trunkId, opts) : undefined;
  }

  /** Resolves the trunk's server and our address toward it (before an outbound call); throws the reason. */
  async ready(trunkId: string): Promise<void> {
    await this.agents.get(trunkId)?.ready();
  }

  /** Re-register every trunk, e.g. after the machine's network changed. */
  refreshRegistrations(): void {
    for (const agent of this.agents.values()) agent.registration?.refresh();
  }

  async removeTrunk(id: string): Promise<void> {
    const agent = this.agents.get(id);
    if (!agent) return;
    this.agents.delete(id);
    await agent.stop();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const id of [...this.agents.keys()]) await this.removeTrunk(id);
    await this.sockets.close();
  }
}
