import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a signed recording URL plays. */
export const RECORDING_LINK_TTL_MS = 5 * 60 * 1000;

/**
 * Short-lived signed recording URLs, for an `<audio>` element that cannot send an Authorization header:
 * the token is `<expiry in Unix seconds>.<HMAC-SHA256 of the call id and expiry>`, with a key made per
 * process (a restart ends every link; nothing is stored). It names one call's recording, nothing else.
 */
export class RecordingLinks {
  private readonly key = randomBytes(32);

  constructor(
    private readonly ttlMs = RECORDING_LINK_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  sign(callId: string): { token: string; expires_at: string } {
    const expires = Math.floor((this.now() + this.ttlMs) / 1000);
    return { token: `${expires}.${this.mac(callId, expires)}`, expires_at: new Date(expires * 1000).toISOString() };
  }

  /** Whether `token` was signed here for this call and has not expired. */
  verify(callId: string, token: string): boolean {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const expires = Number(m[1]);
    // Compared as text: base64url's last character has spare bits, so decoding would accept a second spelling.
    const given = Buffer.from(m[2]);
    const expected = Buffer.from(this.mac(callId, expires));
    return timingSafeEqual(given, expected) && expires * 1000 > this.now();
  }

  private mac(callId: string, expires: number): string {
    return createHmac("sha256", this.key).update(`recording\n${callId}\n${expires}`).digest("base64url");
  }
}
