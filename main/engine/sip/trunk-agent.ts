// Over 300 lines because one trunk's user agent, its transport, registration, NAT learning and address checks
// react to each other's state (a moved address re-registers, a failed server fails over): kept in one place.
import { isIP } from "node:net";
import { UserAgent, type Invitation, type LogLevel } from "sip.js";
import type { IncomingResponseMessage } from "sip.js/lib/core";
import { TrunkTransport, VIA_PLACEHOLDER } from "./trunk-transport.js";
import { NO_REGISTRATION, TrunkRegistration, type RegistrationState } from "./registration.js";
import { parseVia } from "./message-info.js";
import { RtpSessionDescriptionHandler } from "./rtp-sdh.js";
import { describeConnectError, StreamConnection } from "./stream-connection.js";
import { hostPort, parseHostPort } from "./host-port.js";
import { TrunkServers } from "./trunk-servers.js";
import { defaultPort, type SipResolver } from "./dns.js";
import { localAddressToward } from "./local-address.js";
import { stunMappedAddress } from "./stun.js";
import type { InboundCredentials } from "./inbound-auth.js";
import type { SipLog } from "./sip-log.js";
import type { SipListeners } from "./listeners.js";
import type { IncomingSip, Remote } from "./udp-endpoint.js";
import type { RtpPortRange } from "../media/rtp-session.js";

export interface TrunkConfig {
  id: string;
  name: string;
  /** An address or a DNS name (RFC 3263: SRV for its transport, then A/AAAA). */
  host: string;
  port: number;
  transport: "udp" | "tcp" | "tls";
  username: string | null;
  password: string | null;
  register: boolean;
  outboundProxy: string | null;
  /** PEM CA bundle to verify a TLS server with (system CAs otherwise). */
  tlsCa?: string | null;
  /** CRLF keep-alives over UDP that hold a NAT mapping open (0: none). */
  keepaliveSeconds?: number;
  /** A STUN server ("host[:port]", default port 3478) that tells us our public address before we register. */
  stunServer?: string | null;
  /** More sources (CIDR) this trunk's calls may come from, beside its resolved addresses. */
  allowedSources?: readonly string[];
  /** Credentials the trunk must answer a digest challenge with on each INVITE it sends us. */
  inboundAuth?: InboundCredentials | null;
}

/** What every trunk agent shares: the sockets, the resolver, and the engine's settings. */
export interface AgentEnv {
  listeners: SipListeners;
  resolver: SipResolver;
  /** A fixed public address to advertise (a server with a static public IP behind port forwarding). */
  publicAddress?: string;
  rtpHost: string;
  rtpPorts: RtpPortRange;
  registerExpiresSeconds: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Timer F in seconds (64·T1), for the "no answer after N s" text. */
  noAnswerSeconds: number;
  /** How often the route's local address is checked (a laptop moving networks). */
  addressCheckMs: number;
  userAgentString: string;
  /** Sends a message of this trunk: over the call's own connection if it came on one, else `send`. */
  sendOnStream(text: string): boolean;
  remember(text: string, trunkId: string): void;
  /** A message that arrived on this trunk's own TCP/TLS connection. */
  deliverFromStream(message: IncomingSip, trunkId: string): void;
  onRegistration(state: RegistrationState): void;
  /** This trunk's SIP log (kept by the stack: it outlives an agent rebuilt after a change). */
  log: SipLog;
  onInvite(invitation: Invitation): void;
}

/**
 * One trunk: its sip.js user agent over our shared sockets, where its server is (DNS, failover), which
 * address we are to it (the route's local address, learned public address behind NAT), the keep-alives
 * that hold a NAT mapping, its registration, and which sources may send it calls.
 */
export class TrunkAgent {
  readonly ua: UserAgent;
  readonly transport: TrunkTransport;
  readonly registration: TrunkRegistration | null = null;
  readonly log: SipLog;
  private readonly stream: StreamConnection | null = null;
  private readonly servers: TrunkServers;
  private localAddress: string | null = null;
  private lastTransportError: string | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  private addressCheck: NodeJS.Timeout | null = null;
  private preparing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly trunk: TrunkConfig,
    private readonly env: AgentEnv,
  ) {
    this.servers = new TrunkServers(trunk, env.resolver);
    const local = env.listeners.address;
    const placeholder = { host: trunk.host, port: trunk.port };
    const sentBy = { host: env.publicAddress ?? "127.0.0.1", port: local.port };
    const locate = async (host: string, port: number | null): Promise<Remote> => {
      const bare = host.replace(/^\[|\]$/g, "");
      if (isIP(bare)) return { host: bare, port: port ?? defaultPort(trunk.transport) };
      return (await env.resolver.resolve(bare, port, trunk.transport)).targets[0];
    };
    if (trunk.transport === "udp") {
      this.transport = new TrunkTransport(
        {
          send: (text, to) => {
            env.remember(text, trunk.id);
            if (!env.sendOnStream(text)) env.listeners.udp.send(text, to);
          },
        },
        placeholder,
        sentBy,
        "UDP",
        locate,
      );
    } else {
      const protocol = trunk.transport === "tls" ? "TLS" : "TCP";
      const conn = new StreamConnection(placeholder, protocol, {
        ca: trunk.tlsCa ?? undefined,
        servername: isIP(trunk.host) ? undefined : trunk.host,
      });
      this.stream = conn;
      // Connected lazily and again after a drop; the registration's retries drive reconnection.
      const send = async (text: string) => {
        env.remember(text, trunk.id);
        if (env.sendOnStream(text)) return;
        if (!conn.connected) {
          try {
            await conn.connect();
          } catch (err) {
            this.lastTransportError = describeConnectError(
              trunk.name,
              protocol,
              conn.peer,
              err as NodeJS.ErrnoException,
            );
            throw new Error(this.lastTransportError, { cause: err });
          }
        }
        conn.send(text);
      };
      this.transport = new TrunkTransport({ send }, placeholder, sentBy, protocol);
      conn.on("message", (m) => env.deliverFromStream(m, trunk.id));
    }
    this.log = env.log;
    this.transport.onSent = (text, to) => env.log.record("out", to, text);
    const user = trunk.username ?? "voicedock";
    const transport = this.transport;
    this.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${user}@${trunk.host}${trunk.port !== 5060 ? `:${trunk.port}` : ""}`),
      authorizationUsername: trunk.username ?? undefined,
      authorizationPassword: trunk.password ?? undefined,
      viaHost: VIA_PLACEHOLDER,
      contactName: user,
      contactParams: { transport: trunk.transport },
      forceRport: true,
      hackViaTcp: false,
      logLevel: (process.env.VOICEDOCK_SIP_LOG ?? "error") as LogLevel,
      logBuiltinEnabled: Boolean(process.env.VOICEDOCK_SIP_LOG),
      userAgentString: env.userAgentString,
      transportConstructor: class {
        constructor() {
          return transport;
        }
      } as never,
      delegate: { onInvite: (invitation) => env.onInvite(invitation) },
      sessionDescriptionHandlerFactory: () =>
        new RtpSessionDescriptionHandler({
          host: env.rtpHost,
          advertisedAddress: transport.sentBy.host,
          ports: env.rtpPorts,
        }),
    });
    // sip.js builds the Contact from viaHost alone; the port is ours to add.
    this.ua.contact.uri.port = local.port;
    if (trunk.register && trunk.username) {
      this.registration = new TrunkRegistration(this.ua, {
        trunkName: trunk.name,
        expiresSeconds: env.registerExpiresSeconds,
        retryBaseMs: env.retryBaseMs,
        retryMaxMs: env.retryMaxMs,
        onChange: (state) => env.onRegistration(state),
        prepare: () => this.ready(),
        describeTarget: () => ({
          server: this.servers.known ? hostPort(this.transport.currentServer) : null,
          contact: this.ua.contact.uri.toString(),
        }),
        onReceived: (response) => this.learnPublicAddress(response),
        onNoAnswer: () => this.servers.next(env.noAnswerSeconds),
        transportProblem: () => this.lastTransportError,
      });
    }
  }

  async start(): Promise<void> {
    await this.ua.start();
    if (this.registration) this.registration.start();
    // A trunk that does not register still needs its addresses: to accept its calls and to place ours.
    else void this.ready().catch(() => undefined);
    const seconds = this.trunk.keepaliveSeconds ?? 25;
    if (this.trunk.transport === "udp" && seconds > 0) {
      this.keepalive = setInterval(() => this.sendKeepalive(), seconds * 1000);
      this.keepalive.unref();
    }
    this.addressCheck = setInterval(() => void this.checkNetwork(), this.env.addressCheckMs);
    this.addressCheck.unref();
  }

  get state(): RegistrationState {
    if (this.registration) return this.registration.current;
    return {
      ...NO_REGISTRATION,
      reason: this.trunk.username
        ? "Registration is turned off for this trunk"
        : "No credentials: this trunk is used without registration",
    };
  }

  /** True when `remote` is one of this trunk's servers, port and all (several trunks may share one host). */
  isServer(remote: Remote): boolean {
    return this.servers.isServer(remote);
  }

  /** True when a request from `address` may be this trunk's: its servers, its proxy, or its allowed sources. */
  accepts(address: string): boolean {
    return this.servers.accepts(address);
  }

  /**
   * Knows where the trunk's server is and which address we are to it; DNS is asked again when its answer
   * has expired. Throws the reason a person reads when either fails.
   */
  ready(): Promise<void> {
    this.preparing ??= this.prepare().finally(() => {
      this.preparing = null;
    });
    return this.preparing;
  }

  private async prepare(): Promise<void> {
    const server = await this.servers.current();
    this.transport.setServer(server);
    this.stream?.setPeer(server);
    await this.updateLocalAddress(server);
    await this.askStun();
  }

  /**
   * With a STUN server, the public address and port are known before the first REGISTER (RFC 5389 binding
   * request from the SIP socket itself). A server that does not answer is no reason to stay unregistered:
   * the registrar's `received`/`rport` still tell us.
   */
  private async askStun(): Promise<void> {
    const stun = parseHostPort(this.trunk.stunServer, 3478);
    if (!stun || this.trunk.transport !== "udp" || this.env.publicAddress) return;
    try {
      const server = (await this.env.resolver.resolve(stun.host, stun.port, "udp")).targets[0];
      const mapped = await stunMappedAddress(this.env.listeners.udp, server);
      const sentBy = this.transport.sentBy;
      if (mapped.host === sentBy.host && mapped.port === sentBy.port) return;
      this.registration?.contactChanged(this.ua.contact.uri.toString());
      this.setSentBy(mapped.host, mapped.port);
    } catch {
      /* fall back to what the registrar reports */
    }
  }

  /** The route's local address (or the configured public one) in Via, Contact and SDP; NAT learning may override. */
  private async updateLocalAddress(server: Remote): Promise<void> {
    let local: string;
    if (this.env.publicAddress) local = this.env.publicAddress;
    else {
      try {
        local = await localAddressToward(server.host, server.port);
      } catch (err) {
        throw new Error(
          `SIP trunk '${this.trunk.name}': no route to ${server.host} from this machine (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check its network connection`,
          { cause: err },
        );
      }
    }
    if (local === this.localAddress) return;
    const previous = this.localAddress === null ? null : this.ua.contact.uri.toString();
    this.localAddress = local;
    this.setSentBy(local, this.env.listeners.address.port);
    if (previous) this.registration?.contactChanged(previous);
  }

  private setSentBy(host: string, port: number): void {
    this.transport.sentBy.host = host;
    this.transport.sentBy.port = port;
    this.ua.contact.uri.host = host;
    this.ua.contact.uri.port = port;
  }

  /**
   * NAT (RFC 3581, as Linphone and pjsip do): when the registrar saw our REGISTER come from another address
   * than our Via says, that address is where calls can reach us through the NAT binding: register it
   * (removing the old binding) and use it in SDP. True when the contact changed.
   */
  private learnPublicAddress(response: IncomingResponseMessage): boolean {
    if (this.env.publicAddress || this.trunk.transport !== "udp") return false;
    const via = parseVia(response.getHeader("via") ?? "");
    if (!via) return false;
    // Without `received` the registrar saw us where our Via said (sip.js only shows it the placeholder).
    const sentBy = this.transport.sentBy;
    const host = via.received ?? sentBy.host;
    const port = via.rport ?? sentBy.port;
    if (host === sentBy.host && port === sentBy.port) return false;
    this.registration?.contactChanged(this.ua.contact.uri.toString());
    this.setSentBy(host, port);
    return true;
  }

  private sendKeepalive(): void {
    const server = this.transport.currentServer;
    if (this.stopped || !isIP(server.host)) return;
    // RFC 5626 §4.4.1-style CRLF: the registrar ignores it, the NAT on the way refreshes its mapping.
    this.env.listeners.udp.send("\r\n\r\n", server);
  }

  /** A laptop that moved networks: the route's local address changed, so register again from the new one. */
  private async checkNetwork(): Promise<void> {
    if (this.stopped || !this.servers.known || this.env.publicAddress) return;
    const server = this.transport.currentServer;
    const local = await localAddressToward(server.host, server.port).catch(() => null);
    if (local && this.localAddress && local !== this.localAddress) {
      await this.updateLocalAddress(server).catch(() => undefined);
      this.registration?.refresh();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.keepalive) clearInterval(this.keepalive);
    if (this.addressCheck) clearInterval(this.addressCheck);
    await this.registration?.stop();
    this.stream?.close();
    await Promise.race([this.ua.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
