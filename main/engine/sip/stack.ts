import { EventEmitter } from "node:events";
import { UserAgent, type Invitation, type LogLevel } from "sip.js";
import type { IncomingResponseMessage } from "sip.js/lib/core";
import { UdpSipEndpoint, type IncomingSip, type Remote } from "./udp-endpoint.js";
import { TrunkTransport } from "./trunk-transport.js";
import { TrunkRegistration, type RegistrationState } from "./registration.js";
import { parseVia } from "./message-info.js";
import type { SipTimers } from "./retransmitter.js";
import { RtpSessionDescriptionHandler } from "./rtp-sdh.js";
import { StreamConnection } from "./stream-connection.js";
import { StreamListener } from "./stream-listener.js";
import type { RtpPortRange } from "../media/rtp-session.js";

export interface TrunkConfig {
  id: string;
  name: string;
  host: string;
  port: number;
  transport: "udp" | "tcp" | "tls";
  username: string | null;
  password: string | null;
  register: boolean;
  outboundProxy: string | null;
  /** PEM CA bundle to verify a TLS server with (system CAs otherwise). */
  tlsCa?: string | null;
}

export interface SipStackOptions {
  host: string;
  /** UDP and TCP share this port (0: a free one for both). */
  udpPort: number;
  /** Also accept SIP over TCP on the UDP port (default true). */
  tcp?: boolean;
  /** Address to advertise in Via/Contact when it differs from the bind address. */
  advertisedHost?: string;
  timers?: SipTimers;
  registerExpiresSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  userAgentString?: string;
  rtpPorts?: RtpPortRange;
}

interface Leg { trunk: TrunkConfig; ua: UserAgent; transport: TrunkTransport; registration: TrunkRegistration | null; stream: StreamConnection | null }

export interface SipStackEvents {
  registration: [trunkId: string, state: RegistrationState];
  invite: [trunk: TrunkConfig, invitation: Invitation];
  malformed: [Remote, string];
}

/** A listener that could not bind, naming the transport and port (the CLI turns it into advice). */
export class SipListenError extends Error {
  constructor(readonly transport: "UDP" | "TCP" | "TLS", readonly port: number, readonly code: string | undefined, cause: Error) {
    super(`${transport} port ${port}: ${cause.message}`);
  }
}

/** How long a Call-ID keeps pointing at its user agent after the last message (dialogs, late retransmissions). */
const CALL_ID_TTL_MS = 6 * 60 * 60 * 1000;

/**
 * One SIP endpoint for all trunks: a shared UDP socket, a sip.js UserAgent per trunk over our own
 * transport, and the routing of each incoming message to the user agent it belongs to (by Call-ID, then by
 * the trunk the packet came from).
 */
export class SipStack extends EventEmitter<SipStackEvents> {
  private readonly udp: UdpSipEndpoint;
  private readonly tcp: StreamListener | null;
  private tls: StreamListener | null = null;
  private tlsLocal: Remote | null = null;
  /** Calls that came in over a TCP/TLS connection: what we send for them goes back over it (RFC 3261 §18.2.2). */
  private readonly streams = new Map<string, StreamConnection>();
  private readonly legs = new Map<string, Leg>();
  private readonly callIds = new Map<string, { trunkId: string; seen: number }>();
  private local: Remote = { host: "127.0.0.1", port: 0 };
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SipStackOptions) {
    super();
    this.udp = new UdpSipEndpoint({ host: opts.host, port: opts.udpPort, timers: opts.timers });
    this.udp.on("message", (m) => this.route(m));
    this.udp.on("malformed", (remote, text) => this.emit("malformed", remote, text));
    this.tcp = opts.tcp === false ? null : new StreamListener("TCP");
    if (this.tcp) this.wire(this.tcp);
  }

  private wire(listener: StreamListener): void {
    listener.on("message", (m, conn) => this.route(m, undefined, conn));
    listener.on("malformed", (remote, text) => this.emit("malformed", remote, text));
  }

  /** UDP and TCP on one port; with port 0 the pair is retried until both get the same free port. */
  private async bindUdpAndTcp(): Promise<Remote> {
    const wanted = this.opts.udpPort;
    for (let attempt = 0; ; attempt++) {
      let local: Remote;
      try { local = await this.udp.start(wanted); } catch (err) { throw new SipListenError("UDP", wanted, (err as NodeJS.ErrnoException).code, err as Error); }
      if (!this.tcp) return local;
      try {
        await this.tcp.listen(this.opts.host, local.port);
        return local;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        await this.udp.close();
        if (wanted !== 0 || e.code !== "EADDRINUSE" || attempt >= 20) throw new SipListenError("TCP", local.port, e.code, e);
      }
    }
  }

  /** Binds UDP + TCP, and TLS when given its port (0: a free one) and the certificate it presents. */
  async start(tls: { port: number; cert: string; key: string } | null = null): Promise<Remote> {
    this.local = await this.bindUdpAndTcp();
    if (tls) {
      this.tls = new StreamListener("TLS", tls);
      this.wire(this.tls);
      try { this.tlsLocal = await this.tls.listen(this.opts.host, tls.port); } catch (err) {
        await this.tcp?.close();
        await this.udp.close();
        throw new SipListenError("TLS", tls.port, (err as NodeJS.ErrnoException).code, err as Error);
      }
    }
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - CALL_ID_TTL_MS;
      for (const [id, v] of this.callIds) if (v.seen < cutoff) { this.callIds.delete(id); this.streams.delete(id); }
      for (const [id, conn] of this.streams) if (!conn.connected) this.streams.delete(id);
    }, 60_000);
    this.sweeper.unref();
    return this.local;
  }

  /** UDP (and TCP, same port). */
  get address(): Remote { return this.local; }
  get tlsAddress(): Remote | null { return this.tlsLocal; }
  get udpStats() { return this.udp.stats; }

  async addTrunk(trunk: TrunkConfig): Promise<void> {
    await this.removeTrunk(trunk.id);
    const server = parseHostPort(trunk.outboundProxy) ?? { host: trunk.host, port: trunk.port };
    const remember = (text: string) => {
      const callId = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1];
      if (callId) this.callIds.set(callId, { trunkId: trunk.id, seen: Date.now() });
    };
    const advertised = this.opts.advertisedHost ?? this.local.host;
    let stream: StreamConnection | null = null;
    let transport: TrunkTransport;
    if (trunk.transport === "udp") {
      transport = new TrunkTransport({ send: (text, to) => { remember(text); if (!this.sendOnStream(text)) this.udp.send(text, to); } }, server, { host: advertised, port: this.local.port }, "UDP");
    } else {
      const protocol = trunk.transport === "tls" ? "TLS" : "TCP";
      const conn = new StreamConnection(server, protocol, { ca: trunk.tlsCa ?? undefined, servername: /^[\d.]+$|:/.test(server.host) ? undefined : server.host });
      stream = conn;
      // Connected lazily and again after a drop; the registration's retries drive reconnection.
      const send = (text: string) => {
        remember(text);
        if (this.sendOnStream(text)) return;
        if (conn.connected) { conn.send(text); return; }
        conn.connect().then(() => conn.send(text), () => undefined);
      };
      transport = new TrunkTransport({ send }, server, { host: advertised, port: this.local.port }, protocol);
      conn.on("message", (m) => this.route(m, trunk.id));
    }
    const user = trunk.username ?? "voicedock";
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user}@${trunk.host}${trunk.port !== 5060 ? `:${trunk.port}` : ""}`),
      authorizationUsername: trunk.username ?? undefined,
      authorizationPassword: trunk.password ?? undefined,
      viaHost: advertised,
      contactName: user,
      contactParams: { transport: trunk.transport },
      forceRport: true,
      hackViaTcp: false,
      logLevel: (process.env.VOICEDOCK_SIP_LOG ?? "error") as LogLevel,
      logBuiltinEnabled: Boolean(process.env.VOICEDOCK_SIP_LOG),
      userAgentString: this.opts.userAgentString ?? "VoiceDock",
      transportConstructor: class { constructor() { return transport; } } as never,
      delegate: { onInvite: (invitation) => this.emit("invite", trunk, invitation) },
      sessionDescriptionHandlerFactory: () => new RtpSessionDescriptionHandler({
        host: this.opts.host, advertisedAddress: transport.sentBy.host, ports: this.opts.rtpPorts ?? { min: 10000, max: 20000 },
      }),
    });
    // sip.js builds the Contact from viaHost alone; the port is ours to add.
    ua.contact.uri.port = this.local.port;
    const leg: Leg = { trunk, ua, transport, registration: null, stream };
    this.legs.set(trunk.id, leg);
    await ua.start();
    if (trunk.register && trunk.username) {
      leg.registration = new TrunkRegistration(ua, {
        trunkName: trunk.name,
        expiresSeconds: this.opts.registerExpiresSeconds ?? 300,
        retryBaseMs: this.opts.retryBaseMs ?? 2000,
        retryMaxMs: this.opts.retryMaxMs ?? 300_000,
        onChange: (state) => this.emit("registration", trunk.id, state),
        onReceived: (response) => this.fixContact(leg, response),
      });
      leg.registration.start();
    }
  }

  /**
   * NAT: when the registrar saw our REGISTER come from another address than our Contact says, use that
   * address in Via/Contact so calls reach us through the NAT binding (RFC 3581 received/rport).
   */
  private fixContact(leg: Leg, response: IncomingResponseMessage): boolean {
    const via = parseVia(response.getHeader("via") ?? "");
    if (!via) return false;
    const host = via.received ?? via.host;
    const port = via.rport ?? via.port ?? this.local.port;
    const sentBy = leg.transport.sentBy;
    if (host === sentBy.host && port === sentBy.port) return false;
    (leg.ua as unknown as { options: { viaHost: string } }).options.viaHost = host;
    sentBy.host = host;
    sentBy.port = port;
    leg.ua.contact.uri.host = host;
    leg.ua.contact.uri.port = port;
    return true;
  }

  registrationOf(trunkId: string): RegistrationState | null {
    const leg = this.legs.get(trunkId);
    if (!leg) return null;
    return leg.registration?.current ?? { status: "unregistered", reason: leg.trunk.username ? "Registration is turned off for this trunk" : "No credentials: this trunk is used without registration", expires_at: null };
  }

  userAgent(trunkId: string): UserAgent | undefined { return this.legs.get(trunkId)?.ua; }

  /** Re-register every trunk, e.g. after the machine's network changed. */
  refreshRegistrations(): void {
    for (const leg of this.legs.values()) leg.registration?.refresh();
  }

  async removeTrunk(id: string): Promise<void> {
    const leg = this.legs.get(id);
    if (!leg) return;
    this.legs.delete(id);
    await leg.registration?.stop();
    leg.stream?.close();
    await Promise.race([leg.ua.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  /**
   * Sends a message of a call that came in over a TCP/TLS connection back over it, with our Via naming
   * that transport; false when the call has no open connection (then it goes the trunk's way).
   */
  private sendOnStream(text: string): boolean {
    const callId = /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1];
    const conn = callId ? this.streams.get(callId) : undefined;
    if (!conn?.connected) return false;
    const isRequest = !text.startsWith("SIP/2.0 ");
    const local = conn.local;
    conn.send(isRequest && local
      ? text.replace(/^(Via|v)(\s*:\s*)SIP\/2\.0\/[A-Z]+\s+(\[[^\]]+\]|[^\s;:]+)(?::\d+)?/im, (_all, name: string, sep: string, host: string) => `${name}${sep}SIP/2.0/${conn.protocol} ${host}:${local.port}`)
      : text);
    return true;
  }

  private route(m: IncomingSip, viaTrunk?: string, conn?: StreamConnection): void {
    const known = viaTrunk ? { trunkId: viaTrunk } : this.callIds.get(m.info.callId);
    let leg = known ? this.legs.get(known.trunkId) : undefined;
    // Then the trunk whose server sent it (a stream's source port is ephemeral: the host decides there).
    const servers = [...this.legs.values()].map((l) => ({ l, server: parseHostPort(l.trunk.outboundProxy) ?? { host: l.trunk.host, port: l.trunk.port } }));
    leg ??= servers.find(({ server }) => server.host === m.remote.host && server.port === m.remote.port)?.l;
    if (!leg && conn) leg = servers.find(({ server }) => server.host === m.remote.host)?.l;
    if (!leg) leg = this.legs.values().next().value;
    if (!leg) return;
    if (conn) this.streams.set(m.info.callId, conn);
    this.callIds.set(m.info.callId, { trunkId: leg.trunk.id, seen: Date.now() });
    const text = m.info.kind === "request" ? addressToUs(m.text, m.info.requestUri, leg.ua.contact.uri.user ?? "") : m.text;
    leg.transport.deliver(text, m.info.kind === "response");
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const id of [...this.legs.keys()]) await this.removeTrunk(id);
    await this.tcp?.close();
    await this.tls?.close();
    await this.udp.close();
  }
}

export const ORIGINAL_URI_HEADER = "X-VoiceDock-Request-URI";

/**
 * Trunks put the dialled number (DID) in the Request-URI user, but sip.js answers 404 to any request
 * whose Request-URI user is not its own. So the request reaches sip.js addressed to our contact user,
 * and the original Request-URI travels along in a header the call router reads.
 */
function addressToUs(text: string, requestUri: string, ourUser: string): string {
  const m = /^(sips?):([^@;>\s]+)@/i.exec(requestUri);
  if (!m || m[2] === ourUser || !ourUser) return text;
  const lineEnd = text.indexOf("\r\n");
  if (lineEnd < 0) return text;
  const start = text.slice(0, lineEnd).replace(requestUri, requestUri.replace(`${m[1]}:${m[2]}@`, `${m[1]}:${ourUser}@`));
  return `${start}\r\n${ORIGINAL_URI_HEADER}: ${requestUri}${text.slice(lineEnd)}`;
}

function parseHostPort(value: string | null | undefined): Remote | null {
  if (!value) return null;
  const m = /^(?:sips?:)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?/.exec(value.trim());
  return m ? { host: m[1].replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : 5060 } : null;
}
