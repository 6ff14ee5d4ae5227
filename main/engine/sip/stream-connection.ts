import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { EventEmitter } from "node:events";
import { parseMessageInfo } from "./message-info.js";
import { malformedReason, stampVia, type IncomingSip, type Remote } from "./udp-endpoint.js";
import { badRequest } from "./stateless-reply.js";

/** Largest SIP message we accept on a stream; beyond it the connection is closed (garbage or attack). */
const MAX_MESSAGE = 64 * 1024;

export interface StreamConnectionEvents {
  message: [IncomingSip];
  malformed: [Remote, string];
  closed: [Error | undefined];
}

/**
 * One TCP or TLS connection carrying SIP, framed by Content-Length (RFC 3261 §18.3): either ours to a
 * trunk's server (`connect()`), or a peer's to our listener (`accepted()`). Reliable transports need no
 * retransmission. A dropped outgoing connection is reported, not hidden: the registration's backoff
 * reconnects; an accepted one is the peer's to re-open.
 */
export class StreamConnection extends EventEmitter<StreamConnectionEvents> {
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private remote: Remote;

  constructor(
    server: Remote,
    readonly protocol: "TCP" | "TLS",
    private readonly tls: { ca?: string; servername?: string } = {},
  ) {
    super();
    this.remote = server;
  }

  /** A connection a peer opened to our listener. */
  static accepted(socket: Socket, protocol: "TCP" | "TLS"): StreamConnection {
    const conn = new StreamConnection(
      { host: (socket.remoteAddress ?? "").replace(/^::ffff:/, ""), port: socket.remotePort ?? 0 },
      protocol,
    );
    conn.adopt(socket);
    return conn;
  }

  get local(): Remote | null {
    const s = this.socket;
    return s?.localAddress && s.localPort ? { host: s.localAddress, port: s.localPort } : null;
  }

  get peer(): Remote {
    return this.remote;
  }

  /** Another server of the same trunk (DNS failover): the next send connects there. */
  setPeer(remote: Remote): void {
    if (remote.host === this.remote.host && remote.port === this.remote.port) return;
    this.close();
    this.remote = remote;
  }

  get connected(): boolean {
    return Boolean(this.socket && !this.socket.destroyed);
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    const socket =
      this.protocol === "TLS"
        ? tlsConnect({
            host: this.remote.host,
            port: this.remote.port,
            ca: this.tls.ca,
            servername: this.tls.servername,
            rejectUnauthorized: Boolean(this.tls.ca) || undefined,
          })
        : netConnect({ host: this.remote.host, port: this.remote.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(this.protocol === "TLS" ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    this.adopt(socket);
  }

  private adopt(socket: Socket): void {
    socket.setKeepAlive(true, 30_000);
    socket.on("error", () => undefined);
    socket.on("data", (d) => this.receive(d));
    socket.on("close", () => {
      if (this.socket === socket) {
        this.socket = null;
        this.emit("closed", new Error("connection closed"));
      }
    });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
  }

  send(text: string): void {
    this.socket?.write(text);
  }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626 §3.5.1); a double CRLF ping gets its single CRLF pong.
      let start = 0;
      while (start < this.buffer.length && (this.buffer[start] === 13 || this.buffer[start] === 10)) start++;
      if (start >= 4) this.socket?.write("\r\n");
      if (start) this.buffer = this.buffer.subarray(start);
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buffer.length > MAX_MESSAGE) this.socket?.destroy();
        return;
      }
      const head = this.buffer.subarray(0, end).toString("utf8");
      const lengthText = /^(?:Content-Length|l)\s*:\s*(\S*)/im.exec(head)?.[1] ?? "0";
      const length = Number(lengthText);
      // Without a usable Content-Length a stream cannot be framed again: answer if we can, then close.
      if (!/^\d+$/.test(lengthText) || end + 4 + length > MAX_MESSAGE) {
        this.reject(head + "\r\n\r\n", "Bad Content-Length");
        this.socket?.destroy();
        return;
      }
      if (this.buffer.length < end + 4 + length) return;
      let text = this.buffer.subarray(0, end + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(end + 4 + length);
      const info = parseMessageInfo(text);
      const problem = !info ? "unreadable start line" : malformedReason(text, info);
      if (problem || !info) {
        this.reject(text, problem ?? "unreadable start line");
        continue;
      }
      if (info.kind === "request") text = stampVia(text, this.remote, info);
      this.emit("message", { text, info, remote: this.remote, protocol: this.protocol });
    }
  }

  /** A malformed message is reported; a request we can answer gets 400 on the same connection. */
  private reject(text: string, reason: string): void {
    this.emit("malformed", this.remote, text);
    const info = parseMessageInfo(text);
    if (info?.kind === "request" && info.via && info.method !== "ACK") this.socket?.write(badRequest(text, reason));
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }
}

/** What a person reads when a TCP/TLS connection to the trunk could not be made. */
export function describeConnectError(
  trunk: string,
  protocol: "TCP" | "TLS",
  to: Remote,
  err: NodeJS.ErrnoException,
): string {
  const where = `${to.host.includes(":") ? `[${to.host}]` : to.host}:${to.port}`;
  const code = err.code ?? "";
  if (code === "ECONNREFUSED")
    return `SIP trunk '${trunk}': connection refused (${protocol}) by ${where}: check the port and transport`;
  if (code === "ETIMEDOUT") return `SIP trunk '${trunk}': no answer from ${where} (${protocol} connect timed out)`;
  if (code === "EHOSTUNREACH") return `SIP trunk '${trunk}': host ${to.host} is unreachable (${protocol})`;
  if (code === "ENETUNREACH") return `SIP trunk '${trunk}': no route to ${to.host} from this machine`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i.test(code)) {
    return `SIP trunk '${trunk}': TLS certificate of ${where} not trusted (${err.message}): add its CA as tls_ca, or check the host name`;
  }
  return `SIP trunk '${trunk}': could not connect to ${where} over ${protocol} (${err.message})`;
}
