import { EmitterImpl, TransportState, UserAgent, type Transport } from "sip.js";
import type { Emitter } from "sip.js";
import { firstHeader, headerBlock, parseMessageInfo, type SipMessageInfo } from "./message-info.js";
import { responseTarget, type Remote } from "./udp-endpoint.js";

/** What a transport needs from the shared socket(s): send text to an address (a stream may fail to connect). */
export interface SipSender {
  send(text: string, to: Remote): void | Promise<void>;
}

/** Finds the address of a URI's host (RFC 3263): an IP as it is, a name through DNS. */
export type Locate = (host: string, port: number | null) => Promise<Remote>;

/** The Via host sip.js is told to write; see `sentBy`. */
export const VIA_PLACEHOLDER = "voicedock.invalid";

/** How long an INVITE's destination is kept for its CANCEL and non-2xx ACK (Timer B is 32 s). */
const INVITE_MEMORY_MS = 5 * 60 * 1000;

/**
 * sip.js's Transport contract over our shared sockets, for one trunk's user agent. Requests outside a
 * dialog go to the trunk's current server (outbound proxy, or the registrar/proxy its name resolves to);
 * requests inside a dialog (a To tag) go where the dialog says: the top Route, else the remote target
 * (RFC 3261 §12.2.1.1), so a BYE reaches the phone that answered, not the registrar; CANCEL and a non-2xx
 * ACK follow their INVITE (§17.1.1.3, §9.1). Responses follow the top Via (received/rport, §18.2.2). The
 * hub calls `deliver()` with messages for this UA.
 */
export class TrunkTransport implements Transport {
  readonly protocol: string;
  readonly stateChange: Emitter<TransportState>;
  private readonly stateEmitter = new EmitterImpl<TransportState>();
  private _state: TransportState = TransportState.Disconnected;
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  /** Sees each message as it goes on the wire, with where it goes (the trunk's SIP log). */
  onSent: ((message: string, to: Remote) => void) | undefined;

  /**
   * sip.js writes one Via host, fixed when a request object is built (a Registerer builds its REGISTER
   * once), and drops responses whose Via differs from it or carries a port (a browser-era sanity check).
   * Our sent-by changes (route, NAT discovery) and must carry the port. So sip.js always writes and reads
   * `VIA_PLACEHOLDER`; the wire carries `sentBy` as it is at that moment: put in on the way out, taken out
   * of the responses on the way in.
   */
  readonly sentBy: { host: string; port: number };

  /** INVITE branch → where it went, for its CANCEL and non-2xx ACK. */
  private readonly invites = new Map<string, { to: Remote; at: number }>();

  constructor(
    private readonly sender: SipSender,
    private server: Remote,
    sentBy: { host: string; port: number },
    protocol: "UDP" | "TCP" | "TLS" = "UDP",
    private readonly locate: Locate | null = null,
  ) {
    this.sentBy = sentBy;
    this.protocol = protocol;
    this.stateChange = this.stateEmitter;
  }

  get state(): TransportState {
    return this._state;
  }

  setServer(server: Remote): void {
    this.server = server;
  }

  get currentServer(): Remote {
    return this.server;
  }

  async connect(): Promise<void> {
    if (this._state === TransportState.Connected) return;
    this.transition(TransportState.Connecting);
    this.transition(TransportState.Connected);
  }

  async disconnect(): Promise<void> {
    if (this._state === TransportState.Disconnected) return;
    this.transition(TransportState.Disconnecting);
    this.transition(TransportState.Disconnected);
  }

  isConnected(): boolean {
    return this._state === TransportState.Connected;
  }

  async send(message: string): Promise<void> {
    if (this._state !== TransportState.Connected) throw new Error("SIP transport is not connected");
    const info = parseMessageInfo(message);
    if (info?.kind === "response") {
      const target = responseTarget(info) ?? this.server;
      this.onSent?.(message, target);
      await this.sender.send(message, target);
      return;
    }
    const to = info ? await this.destination(message, info) : this.server;
    const { host, port } = this.sentBy;
    const sentBy = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const wire = message.replace(
      /^(Via:\s*SIP\/2\.0\/[A-Z]+\s+)([^\s;:]+)(?=[;\s])/im,
      (all, prefix: string, h: string) => (h === VIA_PLACEHOLDER ? `${prefix}${sentBy}` : all),
    );
    this.onSent?.(wire, to);
    await this.sender.send(wire, to);
  }

  private async destination(message: string, info: SipMessageInfo): Promise<Remote> {
    const earlier = info.method === "ACK" || info.method === "CANCEL" ? this.invites.get(info.branch) : undefined;
    if (earlier) return earlier.to;
    let to = this.server;
    const block = headerBlock(message);
    if (this.locate && /;\s*tag=/i.test(firstHeader(block, "to") ?? "")) {
      const route = /<([^>]+)>/.exec(firstHeader(block, "route") ?? "")?.[1];
      const uri = UserAgent.makeURI(route ?? info.requestUri);
      if (uri) to = await this.locate(uri.host, uri.port ?? null);
    }
    if (info.method === "INVITE") {
      const now = Date.now();
      for (const [branch, v] of this.invites) if (now - v.at > INVITE_MEMORY_MS) this.invites.delete(branch);
      this.invites.set(info.branch, { to, at: now });
    }
    return to;
  }

  dispose(): Promise<void> {
    return this.disconnect();
  }

  /** A message from the network for this user agent. */
  deliver(text: string, isResponse: boolean): void {
    if (this._state !== TransportState.Connected) return;
    if (isResponse) {
      // The top Via of a response is ours (it was routed here by its Call-ID), whatever sent-by we wrote then.
      text = text.replace(
        /^((?:Via|v)\s*:\s*SIP\/2\.0\/[A-Z]+\s+)(\[[^\]]+\]|[^\s;:]+)(?::\d+)?/im,
        (_all, prefix: string) => `${prefix}${VIA_PLACEHOLDER}`,
      );
    }
    this.onMessage?.(text);
  }

  private transition(next: TransportState): void {
    const prev = this._state;
    this._state = next;
    if (next === TransportState.Connected) this.onConnect?.();
    if (prev === TransportState.Connected && next !== TransportState.Connected) this.onDisconnect?.();
    this.stateEmitter.emit(next);
  }
}
