import { EventEmitter } from "node:events";
import { UdpSipEndpoint, type IncomingSip, type Remote } from "./udp-endpoint.js";
import { StreamListener } from "./stream-listener.js";
import type { StreamConnection } from "./stream-connection.js";
import type { SipTimers } from "./retransmitter.js";

/** A listener that could not bind, naming the transport and port (the CLI turns it into advice). */
export class SipListenError extends Error {
  constructor(
    readonly transport: "UDP" | "TCP" | "TLS",
    readonly port: number,
    readonly code: string | undefined,
    cause: Error,
  ) {
    super(`${transport} port ${port}: ${cause.message}`);
  }
}

export interface SipListenersEvents {
  /** A message from the network; `conn` when it came over a TCP/TLS connection a peer opened to us. */
  message: [IncomingSip, StreamConnection | undefined];
  malformed: [Remote, string];
}

/**
 * Where SIP comes in: UDP and TCP on one port, TLS on another, all on the machine's interfaces (or the one
 * address `host` names), never on the API's address.
 */
export class SipListeners extends EventEmitter<SipListenersEvents> {
  readonly udp: UdpSipEndpoint;
  private readonly tcp: StreamListener | null;
  private tls: StreamListener | null = null;
  private tlsLocal: Remote | null = null;
  private local: Remote = { host: "0.0.0.0", port: 0 };

  constructor(private readonly opts: { host: string; port: number; tcp?: boolean; timers?: SipTimers }) {
    super();
    this.udp = new UdpSipEndpoint({ host: opts.host, port: opts.port, timers: opts.timers });
    this.udp.on("message", (m) => this.emit("message", m, undefined));
    this.udp.on("malformed", (remote, text) => this.emit("malformed", remote, text));
    this.tcp = opts.tcp === false ? null : new StreamListener("TCP");
    if (this.tcp) this.wire(this.tcp);
  }

  private wire(listener: StreamListener): void {
    listener.on("message", (m, conn) => this.emit("message", m, conn));
    listener.on("malformed", (remote, text) => this.emit("malformed", remote, text));
  }

  /** Binds UDP + TCP, and TLS when given its port (0: a free one) and the certificate it presents. */
  async start(tls: { port: number; cert: string; key: string } | null = null): Promise<Remote> {
    this.local = await this.bindUdpAndTcp();
    if (tls) {
      this.tls = new StreamListener("TLS", tls);
      this.wire(this.tls);
      try {
        this.tlsLocal = await this.tls.listen(this.opts.host, tls.port);
      } catch (err) {
        await this.tcp?.close();
        await this.udp.close();
        throw new SipListenError("TLS", tls.port, (err as NodeJS.ErrnoException).code, err as Error);
      }
    }
    return this.local;
  }

  /** UDP and TCP on one port; with port 0 the pair is retried until both get the same free port. */
  private async bindUdpAndTcp(): Promise<Remote> {
    const wanted = this.opts.port;
    for (let attempt = 0; ; attempt++) {
      let local: Remote;
      try {
        local = await this.udp.start(wanted);
      } catch (err) {
        throw new SipListenError("UDP", wanted, (err as NodeJS.ErrnoException).code, err as Error);
      }
      if (!this.tcp) return local;
      try {
        await this.tcp.listen(this.opts.host, local.port);
        return local;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        await this.udp.close();
        if (wanted !== 0 || e.code !== "EADDRINUSE" || attempt >= 20)
          throw new SipListenError("TCP", local.port, e.code, e);
      }
    }
  }

  /** UDP (and TCP, same port): the bound address, which may be 0.0.0.0 (all interfaces). */
  get address(): Remote {
    return this.local;
  }
  get tlsAddress(): Remote | null {
    return this.tlsLocal;
  }

  async close(): Promise<void> {
    await this.tcp?.close();
    await this.tls?.close();
    await this.udp.close();
  }
}
