import { describe, expect, it } from "vitest";
import { RECORDING_LINK_TTL_MS, RecordingLinks } from "../../main/engine/api/recording-links.js";
import { redactUrl } from "../../main/engine/api/redact-url.js";

describe("signed recording links", () => {
  it("verify for their own call until they expire, and never after a restart (new key)", () => {
    let now = 1_700_000_000_000;
    const links = new RecordingLinks(RECORDING_LINK_TTL_MS, () => now);
    const { token, expires_at } = links.sign("call-1");
    expect(Date.parse(expires_at)).toBe(now + 5 * 60_000);
    expect(links.verify("call-1", token)).toBe(true);
    expect(links.verify("call-2", token)).toBe(false);
    // Any other character, the last one too (its spare bits must not give a second valid spelling).
    for (const at of [token.length - 1, token.length - 20]) {
      const other = token[at] === "A" ? "B" : "A";
      expect(links.verify("call-1", token.slice(0, at) + other + token.slice(at + 1))).toBe(false);
    }
    expect(links.verify("call-1", "garbage")).toBe(false);
    expect(new RecordingLinks(RECORDING_LINK_TTL_MS, () => now).verify("call-1", token)).toBe(false);
    now += 5 * 60_000 - 1000;
    expect(links.verify("call-1", token)).toBe(true);
    now += 1000;
    expect(links.verify("call-1", token)).toBe(false);
  });

  it("their token is masked in log lines", () => {
    expect(redactUrl("/api/v1/calls/c/recording?token=123.abc")).toBe("/api/v1/calls/c/recording?token=[redacted]");
  });
});
