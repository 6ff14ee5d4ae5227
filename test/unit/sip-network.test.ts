import { describe, expect, it } from "vitest";
import { orderSrv, SipResolver } from "../../main/engine/sip/dns.js";
import { optionsReply, statelessReply } from "../../main/engine/sip/stateless-reply.js";
import { localAddressToward } from "../../main/engine/sip/local-address.js";

const INVITE = [
  "INVITE sip:+15550001111@10.0.0.5:5060 SIP/2.0",
  "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKproxy;rport=5060",
  "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKphone;received=10.0.0.9",
  "From: <sip:bob@10.0.0.1>;tag=abc",
  "To: <sip:+15550001111@10.0.0.5>",
  "Call-ID: call-1@10.0.0.1",
  "CSeq: 7 INVITE",
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

describe("stateless answers", () => {
  it("copy every Via in order (a proxy routes the answer back by its own), add a To tag, keep the rest", () => {
    const reply = statelessReply(INVITE, 403, "Forbidden");
    const lines = reply.split("\r\n");
    expect(lines[0]).toBe("SIP/2.0 403 Forbidden");
    expect(lines.filter((l) => l.startsWith("Via:"))).toEqual([
      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKproxy;rport=5060",
      "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKphone;received=10.0.0.9",
    ]);
    expect(reply).toMatch(/^To: <sip:\+15550001111@10\.0\.0\.5>;tag=[0-9a-f]{12}$/m);
    expect(reply).toContain("Call-ID: call-1@10.0.0.1\r\nCSeq: 7 INVITE\r\n");
    expect(reply.endsWith("Content-Length: 0\r\n\r\n")).toBe(true);
  });

  it("keep a To tag that is already there", () => {
    const inDialog = INVITE.replace("To: <sip:+15550001111@10.0.0.5>", "To: <sip:+15550001111@10.0.0.5>;tag=ours");
    expect(statelessReply(inDialog, 481, "Call/Transaction Does Not Exist")).toMatch(
      /^To: <sip:\+15550001111@10\.0\.0\.5>;tag=ours$/m,
    );
  });

  it("answer OPTIONS with what we allow, accept and support", () => {
    const reply = optionsReply(
      INVITE.replace("INVITE sip", "OPTIONS sip").replace("7 INVITE", "7 OPTIONS"),
      "VoiceDock",
    );
    expect(reply).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(reply).toMatch(/^Allow: .*INVITE.*BYE.*OPTIONS/m);
    expect(reply).toMatch(/^Accept: application\/sdp/m);
    expect(reply).toMatch(/^Supported: /m);
  });
});

describe("RFC 2782 SRV order", () => {
  const records = [
    { name: "b", priority: 20, weight: 0, port: 5060 },
    { name: "a1", priority: 10, weight: 90, port: 5060 },
    { name: "a2", priority: 10, weight: 10, port: 5060 },
  ];
  it("lowest priority first; within one priority, weight decides who is first", () => {
    expect(orderSrv(records, () => 0.5).map((r) => r.name)).toEqual(["a1", "a2", "b"]);
    expect(orderSrv(records, () => 0.95).map((r) => r.name)).toEqual(["a2", "a1", "b"]);
  });
  it("a heavier target comes first about as often as its weight says", () => {
    let first = 0;
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) if (orderSrv(records, random)[0].name === "a1") first++;
    expect(first / 2000).toBeGreaterThan(0.85);
    expect(first / 2000).toBeLessThan(0.95);
  });
});

describe("where a trunk is and which address we are to it", () => {
  it("a literal address needs no DNS; the default port follows the transport", async () => {
    const r = new SipResolver(["127.0.0.1:9"]);
    expect((await r.resolve("10.1.2.3", null, "udp")).targets).toEqual([{ host: "10.1.2.3", port: 5060 }]);
    expect((await r.resolve("[fd00::5]", 5080, "tcp")).targets).toEqual([{ host: "fd00::5", port: 5080 }]);
    expect((await r.resolve("10.1.2.3", null, "tls")).targets).toEqual([{ host: "10.1.2.3", port: 5061 }]);
  });

  it("a DNS server that does not answer gives a reason a person can act on", async () => {
    // Port 9 (discard) on loopback: nothing answers, and nothing leaves the machine.
    const r = new SipResolver(["127.0.0.1:9"]);
    await expect(r.resolve("pbx.example.test", null, "udp")).rejects.toThrow(
      /Cannot resolve pbx\.example\.test: the DNS server did not answer/,
    );
  }, 20_000);

  it("the local address toward loopback is loopback (the kernel's route, no packet sent)", async () => {
    expect(await localAddressToward("127.0.0.1", 5060)).toBe("127.0.0.1");
  });
});
