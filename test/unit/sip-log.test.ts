import { describe, expect, it } from "vitest";
import { redactSip, SipLog } from "../../main/engine/sip/sip-log.js";

const REGISTER = [
  "REGISTER sip:example.com SIP/2.0",
  "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;rport",
  'Authorization: Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef", cnonce="c1", nc=00000001, qop=auth',
  'Proxy-Authorization: Digest username="alice", realm="p", nonce="n", response=deadbeef',
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

describe("SIP log", () => {
  it("redacts digest responses in Authorization and Proxy-Authorization, keeping nonce and cnonce", () => {
    const text = redactSip(REGISTER);
    expect(text).not.toContain("0123456789abcdef0123456789abcdef");
    expect(text).not.toContain("deadbeef");
    expect(text).toContain('nonce="abc"');
    expect(text).toContain('cnonce="c1"');
    expect(text.match(/response="…"/g)).toHaveLength(2);
  });

  it("redacts SDES keys in SDP", () => {
    const text = redactSip(
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n",
    );
    expect(text).toBe("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:…|2^20|1:4\r\n");
  });

  it("keeps the last N messages, oldest first, with their first line and remote", () => {
    const log = new SipLog(3);
    for (let i = 1; i <= 5; i++)
      log.record(i % 2 ? "out" : "in", { host: "::1", port: 5060 }, `OPTIONS sip:${i} SIP/2.0\r\n\r\n`);
    log.record("out", { host: "10.0.0.1", port: 5060 }, "\r\n\r\n");
    const entries = log.entries();
    expect(entries.map((e) => e.first_line)).toEqual([
      "OPTIONS sip:3 SIP/2.0",
      "OPTIONS sip:4 SIP/2.0",
      "OPTIONS sip:5 SIP/2.0",
    ]);
    expect(entries.map((e) => e.direction)).toEqual(["out", "in", "out"]);
    expect(entries[0].remote).toBe("[::1]:5060");
  });
});
