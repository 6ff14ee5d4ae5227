import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasDnsmasq, startDnsmasq, type Dnsmasq } from "../../helpers/dnsmasq.js";
import { hasNetns, teardown, Topology, type Link } from "../../helpers/netns.js";
import { fetchBindings } from "../../support/sip-probe.js";
import { createTrunk, waitForRegistration } from "../../helpers/net-telephony.js";

/*
 * Trunks by DNS name (RFC 3263), and trunks that cannot be reached. This file owns 10.213.0.0/16.
 *
 *   test's namespace (engines)  10.213.0.1 ──veth── "pbx" namespace:
 *                                                     10.213.0.2   kamailio A   (SRV priority 10)
 *                                                     10.213.0.3   kamailio B   (SRV priority 20)
 *                                                     10.213.0.53  dnsmasq: _sip._udp.pbx.test, a/b.pbx.test; NXDOMAIN for other .test names
 *                                                     10.213.0.9   nothing at first; later a kamailio (the host "comes back")
 *
 * The engines ask only 10.213.0.53 (dnsServers): no query leaves the machine.
 */
const OUR_ADDRESS = "10.213.0.1";
const A = "10.213.0.2";
const B = "10.213.0.3";
const DNS = "10.213.0.53";
const DEAD = "10.213.0.9";

describe.skipIf(!hasNetns || !hasKamailio || !hasDnsmasq)(
  "trunks by DNS name and unreachable trunks (network namespaces; skipped only where not root or kamailio/dnsmasq are not installed)",
  () => {
    const topo = new Topology();
    let pbx = "";
    let link: Link;
    let dns: Dnsmasq;
    let kA: Kamailio;
    let kB: Kamailio;
    let kDead: Kamailio | undefined;

    beforeAll(async () => {
      pbx = topo.namespace("pbx");
      link = topo.link({ ns: null, address: `${OUR_ADDRESS}/24` }, { ns: pbx, address: `${A}/24` });
      topo.addAddress(pbx, link.b, `${B}/24`);
      topo.addAddress(pbx, link.b, `${DNS}/24`);
      dns = await startDnsmasq({
        netns: pbx,
        address: DNS,
        srv: [
          { name: "_sip._udp.pbx.test", target: "a.pbx.test", port: 5060, priority: 10, weight: 10 },
          { name: "_sip._udp.pbx.test", target: "b.pbx.test", port: 5060, priority: 20, weight: 10 },
        ],
        hosts: [
          { name: "a.pbx.test", address: A },
          { name: "b.pbx.test", address: B },
        ],
      });
      // Registrations may be as short as 5 s here (kamailio would raise them to 60 s): failover needs a REGISTER soon.
      kA = await startKamailio({ netns: pbx, address: A, minExpiresSeconds: 5 });
      kB = await startKamailio({ netns: pbx, address: B, minExpiresSeconds: 5 });
    });
    afterAll(async () => {
      await teardown(
        () => kA?.stop(),
        () => kB?.stop(),
        () => kDead?.stop(),
        () => dns?.stop(),
        () => topo.cleanup(),
      );
    });

    describe("a trunk named pbx.test with two SRV targets", () => {
      let t: TestEngine;
      let trunkId = "";
      beforeAll(async () => {
        // Short registrations so a failover shows within a minute; short retransmission intervals.
        t = await startTestEngine({
          dnsServers: [DNS],
          sipRegisterExpiresSeconds: 5,
          sipTimers: { t1Ms: 100, t2Ms: 1000 },
          sipRetryBaseMs: 300,
        });
      });
      afterAll(async () => {
        await t?.stop();
      });

      it("registers to the higher-priority target (A), found by SRV", async () => {
        trunkId = (await createTrunk(t, { name: "PBX", host: "pbx.test", username: "alice", password: "secret" })).id;
        const reg = await waitForRegistration(t, trunkId, (r) => r.status === "registered", 20_000);
        expect(reg.server).toBe(`${A}:5060`);
        // The name was resolved by the server we gave, by SRV (RFC 3263), not through the system's resolver.
        expect(dns.log()).toContain(`query[SRV] _sip._udp.pbx.test from ${OUR_ADDRESS}`);
        const atA = await fetchBindings({ registrar: { address: A, port: 5060 }, user: "alice", password: "secret" });
        expect(
          atA.some((c) => c.includes(`@${OUR_ADDRESS}:`)),
          JSON.stringify(atA),
        ).toBe(true);
      });

      it("fails over to the other target (B) when A stops", async () => {
        await kA.stop();
        // Within: the next refresh (4.5 s) + sip.js's Timer F (32 s, not shortened by sipTimers) + a retry, with room for a slow machine.
        const reg = await waitForRegistration(
          t,
          trunkId,
          (r) => r.status === "registered" && r.server === `${B}:5060`,
          55_000,
        );
        expect(reg.server).toBe(`${B}:5060`);
        const atB = await fetchBindings({ registrar: { address: B, port: 5060 }, user: "alice", password: "secret" });
        expect(
          atB.some((c) => c.includes(`@${OUR_ADDRESS}:`)),
          JSON.stringify(atB),
        ).toBe(true);
      }, 75_000);
    });

    describe("unreachable trunks, with the engine's default SIP timers (Timer F = 32 s)", () => {
      let t: TestEngine;
      let deadTrunk = "";
      beforeAll(async () => {
        t = await startTestEngine({ dnsServers: [DNS], sipRetryBaseMs: 300 });
      });
      afterAll(async () => {
        await t?.stop();
      });

      it("a name that does not resolve and a host where nothing answers both fail within 35 s, each saying why", async () => {
        const created = Date.now();
        const nowhere = (
          await createTrunk(t, { name: "Nowhere", host: "nowhere.test", username: "alice", password: "secret" })
        ).id;
        // An address inside this test's subnet that no namespace holds (yet): nothing answers there.
        deadTrunk = (
          await createTrunk(t, { name: "Dead", host: DEAD, port: 5060, username: "alice", password: "secret" })
        ).id;
        const [unresolved, unreachable] = await Promise.all([
          waitForRegistration(t, nowhere, (r) => r.status === "failed", 35_000),
          waitForRegistration(t, deadTrunk, (r) => r.status === "failed", 35_000),
        ]);
        expect(Date.now() - created).toBeLessThan(36_000);
        expect(unresolved.reason).toMatch(/resolve/i);
        expect(unresolved.reason).toContain("nowhere.test");
        expect(dns.log(), "the engine did not ask the DNS server it was given").toMatch(
          /query\[\w+\] \S*nowhere\.test from 10\.213\.0\.1/,
        );
        expect(unreachable.reason).toContain(DEAD);
        expect(unreachable.reason).not.toMatch(/not active/i);
      }, 60_000);

      it("the unreachable trunk recovers by itself when its host comes back", async () => {
        topo.addAddress(pbx, link.b, `${DEAD}/24`);
        kDead = await startKamailio({ netns: pbx, address: DEAD });
        const reg = await waitForRegistration(t, deadTrunk, (r) => r.status === "registered", 40_000);
        expect(reg.server).toBe(`${DEAD}:5060`);
      }, 60_000);
    });
  },
);
