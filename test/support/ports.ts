import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** A UDP port that is free on 127.0.0.1 right now (and, when `tcp`, free for TCP too). */
export async function freeUdpPort(tcp = true): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const sock = createSocket("udp4");
    const port = await new Promise<number>((r) => sock.bind(0, "127.0.0.1", () => r(sock.address().port)));
    sock.close();
    if (!tcp) return port;
    const ok = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free port found");
}
