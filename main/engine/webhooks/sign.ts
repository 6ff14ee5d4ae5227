import { createHmac, timingSafeEqual } from "node:crypto";

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, as webhooks.md §4 documents. */
export function signPayload(secret: string, timestampSeconds: number, rawBody: string): string {
  return "sha256=" + createHmac("sha256", secret).update(`${timestampSeconds}.${rawBody}`).digest("hex");
}

/** Accepts the prefixed and the older bare-hex form; rejects timestamps further than the tolerance from now. */
export function verifySignature(rawBody: string, timestampHeader: string, signatureHeader: string, secret: string,
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const ts = Number(timestampHeader);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signPayload(secret, ts, rawBody).slice("sha256=".length), "utf8");
  const got = Buffer.from(signatureHeader.replace(/^sha256=/, ""), "utf8");
  return got.length === expected.length && timingSafeEqual(got, expected);
}
