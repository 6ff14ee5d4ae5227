/**
 * RTCP sender and receiver reports (RFC 3550 §6.4): what we send tells the peer how its audio reaches
 * us; what it sends back tells us how ours reaches it (loss, jitter, and the round trip). Only SR, RR
 * and the SDES CNAME every compound packet must carry; other packet types are skipped.
 */

export interface ReportBlock {
  /** The stream this block is about. */
  ssrc: number;
  /** Share of packets lost since the previous report, 0–1. */
  fractionLost: number;
  /** Packets lost since the stream began (may be negative with duplicates). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from the reported-on source (0: none). */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface RtcpReport {
  type: "SR" | "RR";
  ssrc: number;
  /** SR only: the sender's NTP time as the middle 32 bits, its packet and octet counts. */
  ntpMiddle?: number;
  packetCount?: number;
  octetCount?: number;
  blocks: ReportBlock[];
}

const NTP_EPOCH_OFFSET_S = 2_208_988_800;

/** NTP time (seconds since 1900, 32.32 fixed point) of a Unix time in ms. */
export function ntpTime(unixMs: number): { seconds: number; fraction: number } {
  const seconds = Math.floor(unixMs / 1000) + NTP_EPOCH_OFFSET_S;
  const fraction = Math.floor(((unixMs % 1000) / 1000) * 2 ** 32);
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP time, as LSR and round-trip arithmetic use it (units of 1/65536 s). */
export const ntpMiddle = (unixMs: number): number => {
  const t = ntpTime(unixMs);
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
};

/** A compound packet: SR (or RR when we have sent nothing) with at most one block, then SDES CNAME. */
export function buildReport(o: {
  ssrc: number;
  cname: string;
  unixMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  sending: boolean;
  block: ReportBlock | null;
}): Buffer {
  const blocks = o.block ? 1 : 0;
  const head = o.sending ? 28 : 8;
  const reportLen = head + 24 * blocks;
  const cname = Buffer.from(o.cname, "utf8").subarray(0, 255);
  // SDES: header 4 + SSRC 4 + item (type, length, text) + a zero end byte, padded to 32 bits.
  const sdesLen = Math.ceil((8 + 2 + cname.length + 1) / 4) * 4;
  const buf = Buffer.alloc(reportLen + sdesLen);
  buf[0] = 0x80 | blocks;
  buf[1] = o.sending ? 200 : 201;
  buf.writeUInt16BE(reportLen / 4 - 1, 2);
  buf.writeUInt32BE(o.ssrc >>> 0, 4);
  let off = 8;
  if (o.sending) {
    const t = ntpTime(o.unixMs);
    buf.writeUInt32BE(t.seconds, 8);
    buf.writeUInt32BE(t.fraction, 12);
    buf.writeUInt32BE(o.rtpTimestamp >>> 0, 16);
    buf.writeUInt32BE(o.packetCount >>> 0, 20);
    buf.writeUInt32BE(o.octetCount >>> 0, 24);
    off = 28;
  }
  if (o.block) {
    const b = o.block;
    buf.writeUInt32BE(b.ssrc >>> 0, off);
    buf[off + 4] = Math.max(0, Math.min(255, Math.floor(b.fractionLost * 256)));
    buf.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)), off + 5, 3);
    buf.writeUInt32BE(b.extendedHighestSeq >>> 0, off + 8);
    buf.writeUInt32BE(Math.max(0, Math.round(b.jitter)) >>> 0, off + 12);
    buf.writeUInt32BE(b.lastSr >>> 0, off + 16);
    buf.writeUInt32BE(b.delaySinceLastSr >>> 0, off + 20);
    off += 24;
  }
  buf[off] = 0x81;
  buf[off + 1] = 202;
  buf.writeUInt16BE(sdesLen / 4 - 1, off + 2);
  buf.writeUInt32BE(o.ssrc >>> 0, off + 4);
  buf[off + 8] = 1; // CNAME
  buf[off + 9] = cname.length;
  cname.copy(buf, off + 10);
  return buf;
}

/** The SR and RR packets of a compound RTCP packet; null when it is not RTCP at all. */
export function parseRtcp(buf: Buffer): RtcpReport[] | null {
  const out: RtcpReport[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    if (buf[off] >> 6 !== 2) return null;
    const count = buf[off] & 0x1f;
    const pt = buf[off + 1];
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > buf.length) return null;
    if (pt === 200 || pt === 201) {
      const head = pt === 200 ? 28 : 8;
      if (len < head + count * 24) return null;
      const r: RtcpReport = { type: pt === 200 ? "SR" : "RR", ssrc: buf.readUInt32BE(off + 4), blocks: [] };
      if (pt === 200) {
        r.ntpMiddle = (((buf.readUInt32BE(off + 8) & 0xffff) << 16) | (buf.readUInt32BE(off + 12) >>> 16)) >>> 0;
        r.packetCount = buf.readUInt32BE(off + 20);
        r.octetCount = buf.readUInt32BE(off + 24);
      }
      for (let i = 0; i < count; i++) {
        const b = off + head + i * 24;
        r.blocks.push({
          ssrc: buf.readUInt32BE(b),
          fractionLost: buf[b + 4] / 256,
          cumulativeLost: buf.readIntBE(b + 5, 3),
          extendedHighestSeq: buf.readUInt32BE(b + 8),
          jitter: buf.readUInt32BE(b + 12),
          lastSr: buf.readUInt32BE(b + 16),
          delaySinceLastSr: buf.readUInt32BE(b + 20),
        });
      }
      out.push(r);
    } else if (pt < 192 || pt > 223) return null; // not an RTCP packet type
    off += len;
  }
  return off === buf.length ? out : null;
}

/**
 * Round trip from a report block about our stream (RFC 3550 §6.4.1): arrival − LSR − DLSR, in ms; null
 * when the peer has not seen an SR of ours yet.
 */
export function roundTripMs(block: ReportBlock, arrivalUnixMs: number): number | null {
  if (!block.lastSr) return null;
  const units = (ntpMiddle(arrivalUnixMs) - block.lastSr - block.delaySinceLastSr) >>> 0;
  // More than a minute is a wrapped or bogus value, not a round trip.
  return units < 60 * 65536 ? (units / 65536) * 1000 : null;
}
