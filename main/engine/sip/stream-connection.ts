import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { EventEmitter } from "node:events";
import { parseMessageInfo } from "./message-info.js";
import type { IncomingSip, Remote } from "./udp-endpoint.js";

/** Largest SIP message we accept on a stream; beyond it the connection is closed (garbage or attack). */
const MAX_MESSAGE = 64 * 1024;

/**
 * One TCP or TLS connection to a trunk's server, framing SIP messages by Content-Length (RFC 3261 §18.3).
 * Reliable transports need no retransmission. A dropped connection is reported, not hidden: the
 * registration's backoff reconnects.
 */
export class StreamConnection extends EventEmitter<{ message: [IncomingSip]; closed: [Error | undefined] }> {
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly server: Remote, private readonly protocol: "TCP" | "TLS", private readonly tls: { ca?: string; servername?: string } = {}) {
    super();
  }

  get local(): Remote | null {
    const s = this.socket;
    return s?.localAddress && s.localPort ? { host: s.localAddress, port: s.localPort } : null;
  }

  get connected(): boolean { return Boolean(this.socket && !this.socket.destroyed); }

  async connect(): Promise<void> {
    if (this.connected) return;
    const socket = this.protocol === "TLS"
      ? tlsConnect({ host: this.server.host, port: this.server.port, ca: this.tls.ca, servername: this.tls.servername, rejectUnauthorized: Boolean(this.tls.ca) || undefined })
      : netConnect({ host: this.server.host, port: this.server.port });
    await new Promise<void>((resolve, reject) => {
      socket.once(this.protocol === "TLS" ? "secureConnect" : "connect", () => resolve());
      socket.once("error", reject);
    });
    socket.setKeepAlive(true, 30_000);
    socket.on("error", () => undefined);
    socket.on("data", (d) => this.receive(d));
    socket.on("close", () => { if (this.socket === socket) { this.socket = null; this.emit("closed", new Error("connection closed")); } });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
  }

  send(text: string): void { this.socket?.write(text); }

  private receive(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    for (;;) {
      // Keep-alive CRLFs between messages (RFC 5626 §3.5.1).
      let start = 0;
      while (start < this.buffer.length && (this.buffer[start] === 13 || this.buffer[start] === 10)) start++;
      if (start) this.buffer = this.buffer.subarray(start);
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) { if (this.buffer.length > MAX_MESSAGE) this.socket?.destroy(); return; }
      const head = this.buffer.subarray(0, end).toString("utf8");
      const length = Number(/^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (end + 4 + length > MAX_MESSAGE) { this.socket?.destroy(); return; }
      if (this.buffer.length < end + 4 + length) return;
      const text = this.buffer.subarray(0, end + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(end + 4 + length);
      const info = parseMessageInfo(text);
      if (info) this.emit("message", { text, info, remote: this.server, protocol: this.protocol });
    }
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }
}
