import { createSocket, type Socket } from "node:dgram";

/**
 * A UDP relay on 127.0.0.1 that forwards between one client and one server, dropping a share of the
 * datagrams in each direction (deterministic pseudo-random sequence, so a failure can be replayed).
 */
export class LossyRelay {
  private socket: Socket | null = null;
  private client: { address: string; port: number } | null = null;
  private seed: number;
  readonly stats = { forwarded: 0, dropped: 0 };

  /** `dropFirst`: also lose the very first datagram, so every run exercises a retransmission. */
  constructor(
    private readonly server: { host: string; port: number },
    private readonly loss: number,
    seed = 12345,
    private dropFirst = true,
  ) {
    this.seed = seed;
  }

  private random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }

  async start(): Promise<number> {
    const s = createSocket("udp4");
    this.socket = s;
    s.on("message", (buf, rinfo) => {
      const fromServer = rinfo.address === this.server.host && rinfo.port === this.server.port;
      if (!fromServer) this.client = { address: rinfo.address, port: rinfo.port };
      const to = fromServer ? this.client : { address: this.server.host, port: this.server.port };
      if (!to) return;
      if (this.dropFirst || this.random() < this.loss) {
        this.dropFirst = false;
        this.stats.dropped++;
        return;
      }
      this.stats.forwarded++;
      s.send(buf, to.port, to.address);
    });
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    return s.address().port;
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
