/** RFC 4733 telephone-events: digits 0–9, *, #, A–D as event codes 0–15. */
const DIGITS = "0123456789*#ABCD";
export const digitToEvent = (d: string): number => DIGITS.indexOf(d.toUpperCase());
export const eventToDigit = (e: number): string | null => (e >= 0 && e < DIGITS.length ? DIGITS[e] : null);

/**
 * Turns incoming telephone-event packets into digits, each exactly once: an event is identified by its RTP
 * timestamp, so its repeated updates and the three end packets (and any retransmission) count once.
 */
export class DtmfReceiver {
  private lastTimestamp: number | null = null;

  /** Returns the digit when this packet starts a new event, else null. */
  push(payload: Uint8Array, rtpTimestamp: number): string | null {
    if (payload.length < 4) return null;
    if (rtpTimestamp === this.lastTimestamp) return null;
    // A zero-length, unfinished event says nothing (some senders fill gaps with all-zero packets).
    if (((payload[2] << 8) | payload[3]) === 0 && (payload[1] & 0x80) === 0) return null;
    const digit = eventToDigit(payload[0]);
    if (digit === null) return null;
    this.lastTimestamp = rtpTimestamp;
    return digit;
  }
}

/** The packets of one digit: updates every 20 ms with growing duration, then the end packet three times. */
export function dtmfPayloads(digit: string, toneMs = 100, volume = 10): Uint8Array[] {
  const event = digitToEvent(digit);
  if (event < 0) throw new Error(`'${digit}' is not a DTMF digit`);
  const out: Uint8Array[] = [];
  const updates = Math.max(1, Math.round(toneMs / 20));
  for (let i = 1; i <= updates; i++) out.push(payload(event, false, volume, i * 160));
  for (let i = 0; i < 3; i++) out.push(payload(event, true, volume, updates * 160));
  return out;
}

function payload(event: number, end: boolean, volume: number, duration: number): Uint8Array {
  return Uint8Array.of(event, (end ? 0x80 : 0) | (volume & 0x3f), (duration >> 8) & 0xff, duration & 0xff);
}

/** SIP INFO bodies: `application/dtmf-relay` ("Signal=5\r\nDuration=160") and `application/dtmf` ("5"). */
export function parseDtmfInfo(contentType: string, body: string): string | null {
  const type = contentType.toLowerCase();
  const signal = type.includes("dtmf-relay")
    ? /Signal\s*=\s*([0-9*#A-Da-d])/i.exec(body)?.[1]
    : type.includes("application/dtmf")
      ? body.trim()[0]
      : undefined;
  return signal && DIGITS.includes(signal.toUpperCase()) ? signal.toUpperCase() : null;
}
