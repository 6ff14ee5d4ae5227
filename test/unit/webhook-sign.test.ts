import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { signPayload, verifySignature } from "../../main/engine/webhooks/sign.js";

describe("webhook signatures (webhooks.md §4)", () => {
  const body = JSON.stringify({ message: { type: "status-update" } });
  const now = 1_780_000_000_000;
  const ts = Math.floor(now / 1000);

  it("is sha256= plus the hex HMAC of '<timestamp>.<raw body>'", () => {
    const expected = createHmac("sha256", "s3cr3t").update(`${ts}.${body}`).digest("hex");
    expect(signPayload("s3cr3t", ts, body)).toBe(`sha256=${expected}`);
  });

  it("verifies the prefixed and the older bare-hex form; rejects tampering, wrong secret and stale timestamps", () => {
    const sig = signPayload("s3cr3t", ts, body);
    expect(verifySignature(body, String(ts), sig, "s3cr3t", { now })).toBe(true);
    expect(verifySignature(body, String(ts), sig.slice(7), "s3cr3t", { now })).toBe(true);
    expect(verifySignature(body + " ", String(ts), sig, "s3cr3t", { now })).toBe(false);
    expect(verifySignature(body, String(ts), sig, "other", { now })).toBe(false);
    expect(verifySignature(body, String(ts + 1), sig, "s3cr3t", { now })).toBe(false);
    expect(verifySignature(body, String(ts), sig, "s3cr3t", { now: now + 301_000 })).toBe(false);
    expect(verifySignature(body, "not-a-number", sig, "s3cr3t", { now })).toBe(false);
    expect(verifySignature(body, String(ts), "sha256=zz", "s3cr3t", { now })).toBe(false);
  });
});
