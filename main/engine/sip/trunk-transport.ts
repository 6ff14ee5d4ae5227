import { EmitterImpl, TransportState, type Transport } from "sip.js";
import type { Emitter } from "sip.js";
import { parseMessageInfo } from "./message-info.js";
import { responseTarget, type Remote } from "./udp-endpoint.js";

/** What a transport needs from the shared socket(s): send text to an address. */
export interface SipSender { send(text: string, to: Remote): void }

/**
 * sip.js's Transport contract over our shared UDP socket, for one user agent (one trunk or one peer).
 * Requests go to the trunk's server (registrar/proxy, or the peer itself); responses follow the top
 * Via (received/rport), as RFC 3261 §18.2.2 says. The hub calls `deliver()` with messages for this UA.
 */
export class TrunkTransport implements Transport {
  readonly protocol: string;
  readonly stateChange: Emitter<TransportState>;
  private readonly stateEmitter = new EmitterImpl<TransportState>();
  private _state: TransportState = TransportState.Disconnected;
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;

  /**
   * sip.js drops responses whose Via carries a port (a browser-era sanity check), yet a UDP endpoint must
   * advertise its port. So sip.js sees `Via: … host`, the wire carries `host:port`: added on the way out,
   * removed on the way in. `sentBy.port` may change (NAT discovery).
   */
  readonly sentBy: { host: string; port: number };

  constructor(private readonly sender: SipSender, private server: Remote, sentBy: { host: string; port: number }, protocol: "UDP" | "TCP" | "TLS" = "UDP") {
    this.sentBy = sentBy;
    this.protocol = protocol;
    this.stateChange = this.stateEmitter;
  }

  get state(): TransportState { return this._state; }

  setServer(server: Remote): void { this.server = server; }

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

  isConnected(): boolean { return this._state === TransportState.Connected; }

  async send(message: string): Promise<void> {
    if (this._state !== TransportState.Connected) throw new Error("SIP transport is not connected");
    const info = parseMessageInfo(message);
    if (info?.kind === "response") {
      this.sender.send(message, responseTarget(info) ?? this.server);
      return;
    }
    const { host, port } = this.sentBy;
    const wire = message.replace(/^(Via:\s*SIP\/2\.0\/[A-Z]+\s+)([^\s;:]+)(?=[;\s])/im, (all, prefix: string, h: string) => (h === host ? `${prefix}${host}:${port}` : all));
    this.sender.send(wire, this.server);
  }

  dispose(): Promise<void> { return this.disconnect(); }

  /** A message from the network for this user agent. */
  deliver(text: string, isResponse: boolean): void {
    if (this._state !== TransportState.Connected) return;
    if (isResponse) {
      const { host, port } = this.sentBy;
      text = text.replace(/^(Via:\s*SIP\/2\.0\/[A-Z]+\s+)([^\s;:]+):(\d+)/im, (all, prefix: string, h: string, p: string) => (h === host && Number(p) === port ? `${prefix}${h}` : all));
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
