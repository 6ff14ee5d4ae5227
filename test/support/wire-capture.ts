import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** tcpdump can capture here (installed, and we may open the loopback interface). */
export const canCapture = (() => {
  const r = spawnSync("tcpdump", ["--version"], { stdio: "ignore" });
  return r.status === 0 && process.getuid?.() === 0;
})();

/** One UDP packet as it crossed the loopback interface (kernel timestamp, ms since the epoch). */
export interface WirePacket {
  atMs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/**
 * A tcpdump capture of UDP on the loopback interface: a separate process timestamps each packet in the
 * kernel as it goes on the wire, so a late send by us shows as it is, not as the sender believes.
 */
export async function startCapture(filter = "udp"): Promise<{ stop(): Promise<WirePacket[]> }> {
  const dir = mkdtempSync(join(tmpdir(), "wire-"));
  const file = join(dir, "capture.pcap");
  const proc: ChildProcess = spawn(
    "tcpdump",
    ["-i", "lo", "-n", "-U", "-B", "16384", "-s", "256", "--time-stamp-precision=nano", "-w", file, filter],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    proc.stderr!.on("data", (d) => {
      err += d;
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}): ${err}`));
    });
  });
  return {
    async stop() {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGINT");
      await exited;
      return parsePcap(readFileSync(file));
    },
  };
}

/** UDP over IPv4 from a pcap file (Ethernet or Linux cooked framing, µs or ns timestamps). */
export function parsePcap(buf: Buffer): WirePacket[] {
  const magic = buf.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4) throw new Error("not a little-endian pcap file");
  const linktype = buf.readUInt32LE(20);
  const linkHeader = linktype === 1 ? 14 : linktype === 113 ? 16 : linktype === 276 ? 20 : linktype === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`unsupported link type ${linktype}`);
  const out: WirePacket[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const sec = buf.readUInt32LE(off);
    const frac = buf.readUInt32LE(off + 4);
    const caplen = buf.readUInt32LE(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ip = pkt.subarray(linkHeader);
    if (ip.length < 28 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    out.push({
      atMs: sec * 1000 + frac / (nano ? 1e6 : 1e3),
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: udp.subarray(8),
    });
  }
  return out;
}

export interface Pacing {
  packets: number;
  p50: number;
  p99: number;
  max: number;
  holes40: number;
  firstMs: number;
  lastMs: number;
}

/**
 * Send-interval deviation of one RTP stream (|interval − 20 ms| between consecutive packets, in the
 * order they hit the wire), and how many gaps reached 40 ms (a whole packet missing from the pace).
 * `machineStall(at)`: true when a reference sender was late at that moment too (reference-sender.ts
 * `stalledAt`); such late intervals are left out.
 */
export function pacing(
  packets: WirePacket[],
  fromMs = -Infinity,
  toMs = Infinity,
  machineStall?: (atMs: number) => boolean,
): Pacing {
  const at = packets
    .filter((p) => p.payload.length >= 12 && p.payload[0] >> 6 === 2 && p.atMs >= fromMs && p.atMs <= toMs)
    .map((p) => p.atMs);
  const dev: number[] = [];
  let holes40 = 0;
  for (let i = 1; i < at.length; i++) {
    const d = at[i] - at[i - 1];
    // A late interval that a separate process was late at too: the machine held both back, not our code.
    if (machineStall && d - 20 > 5 && machineStall(at[i])) continue;
    dev.push(Math.abs(d - 20));
    if (d >= 40) holes40++;
  }
  dev.sort((a, b) => a - b);
  const pct = (p: number) =>
    dev.length ? dev[Math.min(dev.length - 1, Math.max(0, Math.ceil((p / 100) * dev.length) - 1))] : NaN;
  return {
    packets: at.length,
    p50: pct(50),
    p99: pct(99),
    max: dev.length ? dev[dev.length - 1] : NaN,
    holes40,
    firstMs: at[0] ?? NaN,
    lastMs: at.at(-1) ?? NaN,
  };
}

export const describePacing = (p: Pacing): string =>
  `${p.packets} packets, deviation p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, max ${p.max.toFixed(2)} ms, ${p.holes40} holes ≥ 40 ms`;

/** Intervals that strayed more than `thresholdMs` from 20 ms: when (relative to `originMs`, epoch ms) and by how much. */
export function strays(packets: WirePacket[], thresholdMs: number, originMs: number): string {
  const out: string[] = [];
  for (let i = 1; i < packets.length; i++) {
    const d = packets[i].atMs - packets[i - 1].atMs - 20;
    if (Math.abs(d) > thresholdMs)
      out.push(`${d > 0 ? "+" : ""}${d.toFixed(1)} ms at ${(packets[i].atMs - originMs).toFixed(0)} ms`);
  }
  return out.join(", ") || "none";
}

/** RFC 4733 events in RTP packets of payload type `pt`: one entry per event (its packets share a timestamp). */
export function telephoneEvents(packets: WirePacket[], pt: number): { event: number; ended: boolean }[] {
  const byTimestamp = new Map<number, { event: number; ended: boolean }>();
  for (const p of packets) {
    const rtp = p.payload;
    if (rtp.length < 16 || rtp[0] >> 6 !== 2 || (rtp[1] & 0x7f) !== pt) continue;
    const timestamp = rtp.readUInt32BE(4);
    const seen = byTimestamp.get(timestamp) ?? { event: rtp[12], ended: false };
    seen.ended ||= (rtp[13] & 0x80) !== 0;
    byTimestamp.set(timestamp, seen);
  }
  return [...byTimestamp.values()];
}
