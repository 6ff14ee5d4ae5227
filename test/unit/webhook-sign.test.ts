import { describe, expect, it } from "vitest";
import { createHmac, timingSafeEqual } from "node:crypto";
import { signPayload, verifySignature } from "../../main/engine/webhooks/sign.js";

/** The verification sketch of webhooks.md §4, copied as written: an independent check of our signer. */
function verify(raw: string, ts: string, sigHeader: string, secret: string): boolean {
  const expected = createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex");
  const got = sigHeader.replace(/^sha256=/, "");
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

describe("webhook signatures (webhooks.md §4)", () => {
  const secret = "whsec_5f1e2d";
  const body = JSON.stringify({
    message: { type: "status-update", call: { id: "call-inbound-x", status: "in-progress" }, note: "ünïcode ✓" },
  });
  const now = 1_780_000_000_123;
  const ts = Math.floor(now / 1000);

  it("is 'sha256=' plus the lowercase hex HMAC-SHA256 of '<timestamp>.<raw body>'", () => {
    const expected = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");
    expect(signPayload(secret, ts, body)).toBe(`sha256=${expected}`);
    expect(signPayload(secret, ts, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("passes the documented verifier, in both the prefixed and the bare-hex form", () => {
    const sig = signPayload(secret, ts, body);
    expect(verify(body, String(ts), sig, secret)).toBe(true);
    expect(verify(body, String(ts), sig.slice("sha256=".length), secret)).toBe(true);
    expect(verify(body, String(ts), sig, "another-secret")).toBe(false);
  });

  it("verifySignature accepts the prefixed and the older bare-hex form", () => {
    const sig = signPayload(secret, ts, body);
    expect(verifySignature(body, String(ts), sig, secret, { now })).toBe(true);
    expect(verifySignature(body, String(ts), sig.slice("sha256=".length), secret, { now })).toBe(true);
  });

  it("rejects a tampered body, a wrong secret and a signature for another timestamp", () => {
    const sig = signPayload(secret, ts, body);
    expect(verifySignature(body.replace("in-progress", "ended"), String(ts), sig, secret, { now })).toBe(false);
    expect(verifySignature(body + " ", String(ts), sig, secret, { now })).toBe(false);
    expect(verifySignature(body, String(ts), sig, "wrong-secret", { now })).toBe(false);
    expect(verifySignature(body, String(ts + 1), sig, secret, { now })).toBe(false);
    // The documented verifier agrees.
    expect(verify(body.replace("in-progress", "ended"), String(ts), sig, secret)).toBe(false);
    expect(verify(body, String(ts + 1), sig, secret)).toBe(false);
  });

  it("rejects stale and future timestamps beyond the tolerance (300 s by default), accepts within it", () => {
    const sig = signPayload(secret, ts, body);
    expect(verifySignature(body, String(ts), sig, secret, { now: now + 299_000 })).toBe(true);
    expect(verifySignature(body, String(ts), sig, secret, { now: now + 301_000 })).toBe(false);
    expect(verifySignature(body, String(ts), sig, secret, { now: now - 301_000 })).toBe(false);
    expect(verifySignature(body, String(ts), sig, secret, { now: now + 600_000, toleranceSeconds: 900 })).toBe(true);
  });

  it("rejects malformed headers without throwing", () => {
    const sig = signPayload(secret, ts, body);
    expect(verifySignature(body, "not-a-number", sig, secret, { now })).toBe(false);
    expect(verifySignature(body, "", sig, secret, { now })).toBe(false);
    expect(verifySignature(body, `${ts}.5`, sig, secret, { now })).toBe(false);
    expect(verifySignature(body, String(ts), "", secret, { now })).toBe(false);
    expect(verifySignature(body, String(ts), "sha256=zz", secret, { now })).toBe(false);
    expect(verifySignature(body, String(ts), sig + "00", secret, { now })).toBe(false);
  });

  it("signs the exact bytes: re-serializing the same object differently breaks the signature", () => {
    const sig = signPayload(secret, ts, body);
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    expect(verifySignature(pretty, String(ts), sig, secret, { now })).toBe(false);
  });
});
