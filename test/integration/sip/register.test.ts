import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SipStack } from "../../../main/engine/sip/stack.js";
import type { RegistrationState } from "../../../main/engine/sip/registration.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { waitFor as until } from "../../helpers/wait.js";

describe.skipIf(!hasKamailio)(
  "REGISTER to kamailio over UDP (skipped only where the kamailio package is not installed)",
  () => {
    let k: Kamailio;
    let stack: SipStack;
    const states = new Map<string, RegistrationState[]>();
    beforeAll(async () => {
      k = await startKamailio();
      stack = new SipStack({
        host: "127.0.0.1",
        udpPort: 0,
        retryBaseMs: 300,
        retryMaxMs: 1200,
        registerExpiresSeconds: 60,
      });
      stack.on("registration", (id, s) => states.set(id, [...(states.get(id) ?? []), s]));
      await stack.start();
    });
    afterAll(async () => {
      await stack?.stop();
      await k?.stop();
    });

    it("registers with digest auth and reports registered with an expiry", async () => {
      await stack.addTrunk({
        id: "t-good",
        name: "Main",
        host: "127.0.0.1",
        port: k.port,
        transport: "udp",
        username: "alice",
        password: "secret",
        register: true,
        outboundProxy: null,
      });
      const reg = await until(() => states.get("t-good")?.find((s) => s.status === "registered"));
      expect(Date.parse(reg.expires_at!)).toBeGreaterThan(Date.now());
      expect(stack.registrationOf("t-good")!.status).toBe("registered");
    });

    it("a wrong password fails with the SIP reason and retries with bounded backoff (no storm)", async () => {
      await stack.addTrunk({
        id: "t-bad",
        name: "Wrong",
        host: "127.0.0.1",
        port: k.port,
        transport: "udp",
        username: "bob",
        password: "nope",
        register: true,
        outboundProxy: null,
      });
      const failed = await until(() => states.get("t-bad")?.find((s) => s.status === "failed"));
      expect(failed.reason).toMatch(/SIP trunk 'Wrong' rejected our credentials \(401/);
      const sentBefore = stack.udpStats.sent;
      await new Promise((r) => setTimeout(r, 3000));
      const attempts = states.get("t-bad")!.filter((s) => s.status === "registering").length;
      // Backoff 300 → 600 → 1200 → 1200 ms: at most ~5 attempts in 3 s, each a REGISTER + an authenticated retry.
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(6);
      expect(stack.udpStats.sent - sentBefore).toBeLessThan(20);
    });
  },
);

describe.skipIf(!hasKamailio)(
  "REGISTER to kamailio over TCP and TLS (skipped only where the kamailio package is not installed)",
  () => {
    let k: Kamailio;
    let stack: SipStack;
    const states = new Map<string, RegistrationState[]>();
    beforeAll(async () => {
      k = await startKamailio({ tls: true });
      stack = new SipStack({
        host: "127.0.0.1",
        udpPort: 0,
        retryBaseMs: 300,
        retryMaxMs: 1200,
        registerExpiresSeconds: 60,
      });
      stack.on("registration", (id, s) => states.set(id, [...(states.get(id) ?? []), s]));
      await stack.start();
    });
    afterAll(async () => {
      await stack?.stop();
      await k?.stop();
    });

    it("registers over TCP", async () => {
      await stack.addTrunk({
        id: "tcp",
        name: "TCP",
        host: "127.0.0.1",
        port: k.port,
        transport: "tcp",
        username: "alice",
        password: "secret",
        register: true,
        outboundProxy: null,
      });
      await until(() => states.get("tcp")?.find((s) => s.status === "registered"));
    });

    it("registers over TLS, verifying the server against the trunk's CA", async () => {
      await stack.addTrunk({
        id: "tls",
        name: "TLS",
        host: "127.0.0.1",
        port: k.tlsPort!,
        transport: "tls",
        username: "bob",
        password: "bobpass",
        register: true,
        outboundProxy: null,
        tlsCa: k.caPem,
      });
      await until(() => states.get("tls")?.find((s) => s.status === "registered"));
    });
  },
);
