/** An RTP packet's fields; `payload` is a view into the received buffer (no copy). */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

/** Parses RFC 3550 RTP; anything malformed gives null, never an exception. */
export function parseRtp(buf: Buffer): RtpPacket | null {
  if (buf.length < 12) return null;
  const b0 = buf[0];
  if (b0 >> 6 !== 2) return null;
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (offset > buf.length) return null;
  if (extension) {
    if (offset + 4 > buf.length) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
    if (offset > buf.length) return null;
  }
  let end = buf.length;
  if (padding) {
    const pad = buf[buf.length - 1];
    if (pad === 0 || end - pad < offset) return null;
    end -= pad;
  }
  const pt = buf[1] & 0x7f;
  // 72–76 are RTCP packet types arriving on the RTP port (RFC 5761 muxing): not audio.
  if (pt >= 72 && pt <= 76) return null;
  return {
    marker: (buf[1] & 0x80) !== 0,
    payloadType: pt,
    sequence: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/** Writes a 12-byte header into `dst` (caller-owned, reused per frame); returns the header length. */
export function writeRtpHeader(
  dst: Buffer,
  p: { marker: boolean; payloadType: number; sequence: number; timestamp: number; ssrc: number },
): number {
  dst[0] = 0x80;
  dst[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  dst.writeUInt16BE(p.sequence & 0xffff, 2);
  dst.writeUInt32BE(p.timestamp >>> 0, 4);
  dst.writeUInt32BE(p.ssrc >>> 0, 8);
  return 12;
}
