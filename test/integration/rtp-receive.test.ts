import { afterEach, describe, expect, it } from "vitest";
import { createSocket, type Socket } from "node:dgram";
import { RtpSession } from "../../main/engine/media/rtp-session.js";
import { PCMU } from "../../main/engine/media/codecs/g711.js";
import { writeRtpHeader } from "../../main/engine/media/rtp/packet.js";

// A peer on a real UDP socket sends a call's audio out of order, twice, and with a hole; the session
// must hand the pipeline one frame per packet, in order, with the hole filled.
describe("incoming RTP through the session's reorder buffer", () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

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
      writeRtpHeader(buf, {
        marker: i === 0,
        payloadType: 0,
        sequence: 1000 + i,
        timestamp: 50_000 + i * 160,
        ssrc: 0x1234,
      });
      PCMU.encode(pcm, buf.subarray(12));
      return buf;
    };
    // Three pairs swapped, packets 5 and 9 sent twice, packet 12 never sent. A pair leaves back to back,
    // so a busy machine delaying this loop cannot turn a swap into a late packet.
    const groups = [[0], [1], [3, 2], [4], [5, 5], [7, 6], [8], [9, 9], [11, 10], [13], [14], [15], [16]];
    for (const group of groups) {
      for (const i of group) peer.send(packet(i), port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 20 * group.length));
    }
    await new Promise((r) => setTimeout(r, 300));

    expect(frames).toHaveLength(17); // 0–16, one each
    const decoded = (i: number) => {
      const d = new Int16Array(1);
      PCMU.decode(packet(i).subarray(12, 13), d);
      return d[0];
    };
    for (let i = 0; i < 17; i++) if (i !== 12) expect(frames[i], `frame ${i}`).toBe(decoded(i));
    // The lost one: the frame before at half the level.
    expect(frames[12]).toBe(Math.round(decoded(11) * 0.5));
    expect(session.mediaReport(), JSON.stringify(session.mediaReport())).toMatchObject({
      packets_received: 16,
      packets_duplicate: 2,
      packets_reordered: 3,
      packets_lost: 1,
      packets_late: 0,
    });
    expect(session.mediaReport().jitter_ms).toBeLessThan(20);
  });
});

describe("RTCP sender and receiver reports on port + 1", () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  async function peerPair(): Promise<{ rtp: Socket; rtcp: Socket; port: number }> {
    for (;;) {
      const rtp = createSocket("udp4");
      await new Promise<void>((r) => rtp.bind(0, "127.0.0.1", r));
      const port = rtp.address().port;
      const rtcp = createSocket("udp4");
      const ok = await new Promise<boolean>((r) => {
        rtcp.once("error", () => r(false));
        rtcp.bind(port + 1, "127.0.0.1", () => r(true));
      });
      if (ok) return { rtp, rtcp, port };
      rtp.close();
      rtcp.close();
    }
  }

  it("reports how the peer's audio reaches us, and keeps what the peer reports about ours (loss, jitter, round trip)", async () => {
    const { parseRtcp, buildReport } = await import("../../main/engine/media/rtcp.js");
    const session = new RtpSession();
    session.rtcpIntervalMs = 150;
    open.push(session);
    const port = await session.open("127.0.0.1", { min: 42000, max: 42998 });
    const peer = await peerPair();
    open.push(peer.rtp, peer.rtcp);
    session.configure({ address: "127.0.0.1", port: peer.port }, PCMU, 0);
    session.play(new Int16Array(8000).fill(1000));

    let ourSsrc = 0;
    peer.rtp.on("message", (m) => {
      ourSsrc = m.readUInt32BE(8);
    });
    const reports: ReturnType<typeof parseRtcp>[] = [];
    // When each SR arrived: the peer's RR says how long it held the SR it quotes, as a real peer does.
    const srArrivals = new Map<number, number>();
    peer.rtcp.on("message", (m) => {
      const parsed = parseRtcp(m);
      reports.push(parsed);
      if (parsed?.[0]?.type === "SR" && parsed[0].ntpMiddle !== undefined)
        srArrivals.set(parsed[0].ntpMiddle, Date.now());
    });

    // The peer's stream: 30 packets with number 12 missing.
    for (let i = 0; i < 30; i++) {
      if (i === 12) continue;
      const buf = Buffer.alloc(12 + 160, 0xff);
      writeRtpHeader(buf, { marker: false, payloadType: 0, sequence: 65_520 + i, timestamp: i * 160, ssrc: 0xabcd }); // wraps at 16
      peer.rtp.send(buf, port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 400));

    const sr = reports.filter((r) => r?.[0]?.type === "SR").at(-1)![0];
    expect(sr.ssrc).toBe(ourSsrc);
    expect(sr.packetCount).toBeGreaterThan(20);
    expect(sr.octetCount).toBe(sr.packetCount! * 160);
    expect(sr.blocks).toHaveLength(1);
    expect(sr.blocks[0]).toMatchObject({
      ssrc: 0xabcd,
      cumulativeLost: 1,
      extendedHighestSeq: 0x10000 + ((65_520 + 29) & 0xffff),
    });

    // The peer answers with an RR about our stream, quoting our last SR and 10 ms of its own delay.
    const rr = buildReport({
      ssrc: 0xabcd,
      cname: "peer@test",
      unixMs: Date.now(),
      rtpTimestamp: 0,
      packetCount: 0,
      octetCount: 0,
      sending: false,
      block: {
        ssrc: ourSsrc,
        fractionLost: 0.25,
        cumulativeLost: 3,
        extendedHighestSeq: 100,
        jitter: 80,
        lastSr: sr.ntpMiddle!,
        // Rounded down: the round trip the engine computes is then never below zero.
        delaySinceLastSr: Math.floor(((Date.now() - srArrivals.get(sr.ntpMiddle!)!) / 1000) * 65536),
      },
    });
    peer.rtcp.send(rr, port + 1, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 100));
    const report = session.mediaReport();
    expect(report.peer_reported).toMatchObject({ fraction_lost: 0.25, packets_lost: 3, jitter_ms: 10 });
    // The peer says how long it held our SR: what remains is the loopback round trip, small.
    expect(report.peer_reported!.rtt_ms).toBeGreaterThanOrEqual(0);
    expect(report.peer_reported!.rtt_ms).toBeLessThan(1000);
    expect(report.rtcp_sent).toBeGreaterThan(1);
    expect(report.rtcp_received).toBe(1);

    // Behind NAT the peer's RTCP comes from another port: our reports follow it there (symmetric RTCP).
    const natted = createSocket("udp4");
    open.push(natted);
    await new Promise<void>((r) => natted.bind(0, "127.0.0.1", r));
    const toNatted: ReturnType<typeof parseRtcp>[] = [];
    natted.on("message", (m) => toNatted.push(parseRtcp(m)));
    natted.send(rr, port + 1, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 400));
    expect(toNatted.some((r) => r?.[0]?.type === "SR" && r[0].ssrc === ourSsrc)).toBe(true);

    // Garbage on the RTCP port is counted and ignored.
    peer.rtcp.send(Buffer.from([0x80, 200, 0, 50, 1, 2, 3]), port + 1, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 50));
    expect(session.mediaReport().packets_malformed).toBe(1);
  });
});
