import { createServer as createTcpServer, type Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { EventEmitter } from "node:events";
import { StreamConnection } from "./stream-connection.js";
import type { IncomingSip, Remote } from "./udp-endpoint.js";

/** Connections from one listener at once; more are refused so a flood cannot exhaust file descriptors. */
const MAX_CONNECTIONS = 512;
/** An accepted connection that carries nothing for this long is closed (RFC 5626 keep-alives refresh it). */
const IDLE_MS = 10 * 60 * 1000;

export interface StreamListenerEvents {
  message: [IncomingSip, StreamConnection];
  malformed: [Remote, string];
}

/**
 * SIP over TCP or TLS for peers that connect to us (RFC 3261 §18): every accepted connection frames its
 * own messages; responses and in-dialog requests for a call go back over the connection it came on.
 */
export class StreamListener extends EventEmitter<StreamListenerEvents> {
  private server: Server | null = null;
  private readonly connections = new Set<StreamConnection>();

  constructor(
    private readonly protocol: "TCP" | "TLS",
    private readonly tls?: { cert: string; key: string },
  ) {
    super();
  }

  async listen(host: string, port: number): Promise<Remote> {
    const server =
      this.protocol === "TLS"
        ? createTlsServer({ cert: this.tls!.cert, key: this.tls!.key, handshakeTimeout: 10_000 })
        : createTcpServer();
    server.maxConnections = MAX_CONNECTIONS;
    server.on(this.protocol === "TLS" ? "secureConnection" : "connection", (socket) => {
      socket.setTimeout(IDLE_MS, () => socket.destroy());
      const conn = StreamConnection.accepted(socket, this.protocol);
      this.connections.add(conn);
      conn.on("message", (m) => this.emit("message", m, conn));
      conn.on("malformed", (remote, text) => this.emit("malformed", remote, text));
      conn.on("closed", () => this.connections.delete(conn));
    });
    // A failed TLS handshake or a reset is the peer's problem, never the engine's.
    server.on("tlsClientError", () => undefined);
    server.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    const a = server.address();
    return typeof a === "object" && a ? { host: a.address, port: a.port } : { host, port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    this.connections.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
