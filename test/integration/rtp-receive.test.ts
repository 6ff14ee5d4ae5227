import { afterEach, describe, expect, it } from "vitest";
import { createSocket, type Socket } from "node:dgram";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { writeRtpHeader } from "../../main/engine/media/rtp/packet.js";

// A peer on a real UDP socket sends a call's audio out of order, twice, and with a hole; the session
// must hand the pipeline one frame per packet, in order, with the hole filled.
describe("incoming RTP through the session's reorder buffer", () => {
  const open: { close(): void }[] = [];
  afterEach(() => { for (const o of open.splice(0)) o.close(); });

  it("reorders, drops duplicates, conceals a lost packet with a fade, and reports it all for the call", async () => {
    const session = new RtpSession();
    open.push(session);
    const port = await session.open("127.0.0.1", { min: 41000, max: 41998 });
    const peer: Socket = createSocket("udp4");
    open.push(peer);
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
    session.configure({ address: "127.0.0.1", port: peer.address().port }, PCMU, 0);

    const frames: number[] = [];
    session.on("frame", (f) => frames.push(f.data[80]));
    // Frame i is a constant level, so the order is readable from what comes out.
    const level = (i: number) => 2000 + i * 400;
    const packet = (i: number) => {
      const pcm = new Int16Array(160).fill(level(i));
      const buf = Buffer.alloc(12 + 160);
      writeRtpHeader(buf, { marker: i === 0, payloadType: 0, sequence: 1000 + i, timestamp: 50_000 + i * 160, ssrc: 0x1234 });
      PCMU.encode(pcm, buf.subarray(12));
      return buf;
    };
    // Three pairs swapped, packets 5 and 9 sent twice, packet 12 never sent.
    const order = [0, 1, 3, 2, 4, 5, 5, 7, 6, 8, 9, 9, 11, 10, 13, 14, 15, 16];
    for (const i of order) {
      peer.send(packet(i), port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300));

    expect(frames).toHaveLength(17); // 0–16, one each
    const decoded = (i: number) => { const d = new Int16Array(1); PCMU.decode(packet(i).subarray(12, 13), d); return d[0]; };
    for (let i = 0; i < 17; i++) if (i !== 12) expect(frames[i], `frame ${i}`).toBe(decoded(i));
    // The lost one: the frame before at half the level.
    expect(frames[12]).toBe(Math.round(decoded(11) * 0.5));
    expect(session.mediaReport(), JSON.stringify(session.mediaReport())).toMatchObject({ packets_received: 16, packets_duplicate: 2, packets_reordered: 3, packets_lost: 1, packets_late: 0 });
    expect(session.mediaReport().jitter_ms).toBeLessThan(20);
  });
});
