import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { firstHeader, headerBlock, parseMessageInfo, parseVia, type SipMessageInfo } from "./message-info.js";
import { Retransmitter, type SipTimers } from "./retransmitter.js";
import { badRequest } from "./stateless-reply.js";
import { isStun } from "./stun.js";
import type { Remote } from "./types.js";

// Re-exported: the rest of sip/ imports Remote from here.
export type { Remote };
export interface IncomingSip {
  text: string;
  info: SipMessageInfo;
  remote: Remote;
  protocol: "UDP" | "TCP" | "TLS";
}

/** A datagram is at most 64 KB; SIP over UDP should stay under the path MTU, but we accept what arrives. */
const MAX_DATAGRAM = 65_507;

/**
 * The engine's one UDP SIP socket, shared by every trunk. It retransmits for sip.js (RFC 3261 timers),
 * stamps `received`/`rport` on incoming requests' top Via (§18.2.1, RFC 3581) so answers go back where the
 * request came from, and drops anything that is not SIP without disturbing anyone else.
 */
export class UdpSipEndpoint extends EventEmitter<{
  message: [IncomingSip];
  malformed: [Remote, string];
  stun: [Buffer, Remote];
  handlerError: [Error];
}> {
  private socket: Socket | null = null;
  private readonly retransmitter: Retransmitter;
  readonly stats = { received: 0, sent: 0, malformed: 0, handlerErrors: 0 };

  constructor(private readonly opts: { host: string; port: number; timers?: SipTimers }) {
    super();
    this.retransmitter = new Retransmitter(opts.timers);
  }

  /** Binds the configured port, or `port` when given (the stack pairs it with its TCP listener's). */
  async start(port = this.opts.port): Promise<Remote> {
    const socket = createSocket({ type: this.opts.host.includes(":") ? "udp6" : "udp4", reuseAddr: false });
    socket.on("message", (buf, rinfo) => this.receive(buf, rinfo));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(port, this.opts.host, () => {
        socket.removeAllListeners("error");
        resolve();
      });
    });
    socket.on("error", () => {
      /* ICMP errors etc. on an unconnected socket: nothing to do per message */
    });
    this.socket = socket;
    return this.address();
  }

  address(): Remote {
    const a = this.socket!.address();
    return { host: a.address, port: a.port };
  }

  private receive(buf: Buffer, rinfo: RemoteInfo): void {
    this.stats.received++;
    const remote = { host: rinfo.address, port: rinfo.port };
    // Keep-alives (RFC 5626 CRLF) are answered with nothing over UDP; they only refresh NAT bindings.
    if (buf.length <= 4 && /^[\r\n]*$/.test(buf.toString("latin1"))) return;
    // STUN answers to the binding requests we send from this socket to learn our public address.
    if (isStun(buf)) {
      this.emit("stun", buf, remote);
      return;
    }
    if (buf.length > MAX_DATAGRAM) return;
    let text = buf.toString("utf8");
    const info = parseMessageInfo(text);
    const problem = !info ? "unreadable start line" : malformedReason(text, info);
    if (problem) {
      this.stats.malformed++;
      this.emit("malformed", remote, text);
      // A request we can answer gets 400 with the reason (RFC 3261 §8.2, §16.3); anything else is dropped.
      if (info?.kind === "request" && info.via && info.method !== "ACK") this.reject400(text, info, remote, problem);
      return;
    }
    if (!info) return;
    if (info.kind === "request") text = stampVia(text, remote, info);
    this.retransmitter.onReceive(info);
    try {
      this.emit("message", { text, info, remote, protocol: "UDP" });
    } catch (err) {
      // A failure while handling one message (a full disk, a bug) must not end every call on the machine.
      this.stats.handlerErrors++;
      process.emitWarning(
        `SIP message from ${remote.host}:${remote.port} could not be handled: ${(err as Error).message}`,
      );
      this.emit("handlerError", err as Error);
    }
  }

  private reject400(text: string, info: SipMessageInfo, remote: Remote, reason: string): void {
    const stamped = stampVia(text, remote, info);
    const target = responseTarget({ ...info, via: parseVia(firstHeader(headerBlock(stamped), "via") ?? "") });
    if (target) this.send(badRequest(stamped, reason), target);
  }

  /** A datagram that is not SIP (a STUN request): no retransmission, no parsing. */
  sendRaw(buf: Buffer, to: Remote): void {
    this.socket?.send(buf, to.port, to.host);
  }

  send(text: string, to: Remote): void {
    const socket = this.socket;
    if (!socket) return;
    const buf = Buffer.from(text, "utf8");
    const write = () => {
      this.stats.sent++;
      socket.send(buf, to.port, to.host);
    };
    write();
    const info = parseMessageInfo(text);
    if (info) this.retransmitter.onSend(info, write);
  }

  async close(): Promise<void> {
    this.retransmitter.close();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/** Adds `received` (when the source differs from sent-by) and fills an empty `rport` on the top Via. */
export function stampVia(text: string, remote: Remote, info: SipMessageInfo): string {
  const via = info.via!;
  const needReceived = via.host !== remote.host;
  if (!needReceived && !via.hasRport) return text;
  return text.replace(/^(Via|v)(\s*:\s*)([^\r\n,]*)/im, (_all, name: string, sep: string, value: string) => {
    let v = value;
    if (via.hasRport) v = v.replace(/;\s*rport(?!=)/i, `;rport=${remote.port}`);
    if (needReceived && !/;\s*received=/i.test(v)) v += `;received=${remote.host}`;
    return `${name}${sep}${v}`;
  });
}

/** Where a response goes (RFC 3261 §18.2.2 + RFC 3581): received/rport of the top Via, else sent-by. */
export function responseTarget(info: SipMessageInfo): Remote | null {
  const via = info.via;
  if (!via) return null;
  return { host: via.received ?? via.host, port: via.rport ?? via.port ?? 5060 };
}

/** Why a message that parsed as SIP is still unusable, or null when it is fine. */
export function malformedReason(text: string, info: SipMessageInfo): string | null {
  if (!info.via) return "Missing or unreadable Via";
  if (!info.callId) return "Missing Call-ID";
  if (!info.cseq || !info.method) return "Missing or unreadable CSeq";
  const block = headerBlock(text);
  if (!firstHeader(block, "from")) return "Missing From";
  if (!firstHeader(block, "to")) return "Missing To";
  if (info.kind === "request") {
    const cseqMethod = /^\d+\s+([A-Za-z]+)/.exec(firstHeader(block, "cseq") ?? "")?.[1]?.toUpperCase();
    if (cseqMethod !== info.method) return "CSeq method does not match the request";
    if (!/^(sips?|tel):/i.test(info.requestUri)) return "Unsupported Request-URI scheme";
    if (info.cseq > 2 ** 31) return "CSeq number out of range";
  }
  const length = firstHeader(block, "content-length");
  if (length !== null && (!/^\d+$/.test(length) || Number(length) > Buffer.byteLength(text)))
    return "Bad Content-Length";
  return null;
}
