import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures (webhooks.md §4):
 *
 *   signed_content      = <X-Webhook-Timestamp> + "." + <raw request body>
 *   X-Webhook-Signature = "sha256=" + lowercase hex HMAC-SHA256(key = webhook_secret, signed_content)
 *
 * Sign the exact bytes that go on the wire: the caller serializes once and passes that string.
 */

const PREFIX = "sha256=";

function hmacHex(secret: string, timestamp: string, rawBody: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
}

/** `sha256=<hex>` for one attempt; the timestamp is Unix seconds, the one sent as X-Webhook-Timestamp. */
export function signPayload(secret: string, timestampSeconds: number, rawBody: string): string {
  return PREFIX + hmacHex(secret, String(timestampSeconds), rawBody);
}

export interface VerifyOptions {
  /** Reject timestamps further than this from `now`, either way (the SDK's default is 300 s). */
  toleranceSeconds?: number;
  /** "Now" in milliseconds since the epoch (tests pin it). */
  now?: number;
}

/**
 * Checks a received webhook as a receiver would: accepts the documented `sha256=<hex>` form and the older
 * bare-hex form, compares in constant time, and rejects stale or future timestamps (replay protection).
 * The HMAC is computed over the timestamp header exactly as received.
 */
export function verifySignature(
  rawBody: string,
  timestampHeader: string,
  signatureHeader: string,
  secret: string,
  { toleranceSeconds = 300, now = Date.now() }: VerifyOptions = {},
): boolean {
  if (!/^\d{1,12}$/.test(timestampHeader)) return false;
  if (Math.abs(now / 1000 - Number(timestampHeader)) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestampHeader, rawBody), "utf8");
  const got = Buffer.from(
    signatureHeader
      .trim()
      .replace(/^sha256=/i, "")
      .toLowerCase(),
    "utf8",
  );
  return got.length === expected.length && timingSafeEqual(got, expected);
}
