import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { hasIptables, hasNetns, run, teardown, Topology } from "../../helpers/netns.js";
import { fetchBindings } from "../../support/sip-probe.js";
import {
  answerWith,
  callOutcome,
  createAssistant,
  createNumber,
  createTrunk,
  getTrunk,
  waitForRegistration,
} from "../../helpers/net-telephony.js";
import { maxCrossCorrelation, readWav, toTelephoneWav } from "../../support/audio.js";

/*
 * Behind NAT. The test's own (root) namespace IS the office: the engine runs in-process here, on a
 * private address, and reaches the carrier only through a NAT router. This file owns 10.212.0.0/16.
 *
 *   office = test's namespace   10.212.1.1 ──veth── 10.212.1.2  "router"  10.212.2.1 ──veth── 10.212.2.2  "carrier"
 *   (engine; route to                                 ip_forward=1, MASQUERADE out of          kamailio :5060 (shared config:
 *    10.212.2.0/24 via router)                        its carrier side; UDP conntrack 20 s     no nathelper), baresip
 *
 * The carrier has no route back to 10.212.1.0/24: only the router's mapping can carry anything to us.
 */
const OFFICE = "10.212.1.1";
const ROUTER_INSIDE = "10.212.1.2";
const ROUTER_PUBLIC = "10.212.2.1";
const CARRIER = "10.212.2.2";
const NUMBER = "+15550001111";
const CONNTRACK_TIMEOUT_S = 20;
const IDLE_S = 30;

describe.skipIf(!hasNetns || !hasIptables || !hasKamailio || !hasBaresip)(
  "behind NAT (network namespaces; skipped only where not root or iptables/kamailio/baresip are not installed)",
  () => {
    const topo = new Topology();
    let router = "";
    let carrier = "";
    let k: Kamailio;
    let t: TestEngine;
    let trunkId = "";
    const work = mkdtempSync(join(tmpdir(), "net-nat-"));
    const callerWav = join(work, "caller.wav");
    const ourWav = join(work, "ours.wav");

    /** What the router's connection tracking holds, for failure messages. */
    const conntrack = () => {
      try {
        return run("ip", ["netns", "exec", router, "conntrack", "-L", "-p", "udp"]);
      } catch (err) {
        return String(err);
      }
    };

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), callerWav, 0.5, 1.5);
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), ourWav, 0, 0);
      router = topo.namespace("router");
      carrier = topo.namespace("carrier");
      topo.link({ ns: null, address: `${OFFICE}/24` }, { ns: router, address: `${ROUTER_INSIDE}/24` });
      const wan = topo.link({ ns: router, address: `${ROUTER_PUBLIC}/24` }, { ns: carrier, address: `${CARRIER}/24` });
      topo.route(null, "10.212.2.0/24", ROUTER_INSIDE);
      topo.masquerade(router, wan.a);
      // Forget idle UDP mappings after 20 s (Linux defaults: 30 s, and 120 s once both sides spoke).
      topo.sysctl(router, "net.netfilter.nf_conntrack_udp_timeout", CONNTRACK_TIMEOUT_S);
      topo.sysctl(router, "net.netfilter.nf_conntrack_udp_timeout_stream", CONNTRACK_TIMEOUT_S);
      k = await startKamailio({ netns: carrier, address: CARRIER });
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      const assistantId = await createAssistant(t, "Front desk");
      trunkId = (
        await createTrunk(t, {
          name: "Carrier",
          host: CARRIER,
          port: k.port,
          username: "alice",
          password: "secret",
          keepalive_seconds: 8,
        })
      ).id;
      await createNumber(t, NUMBER, trunkId, assistantId);
    });
    afterAll(async () => {
      await teardown(
        () => t?.stop(),
        () => k?.stop(),
        () => topo.cleanup(),
        () => rmSync(work, { recursive: true, force: true }),
      );
    });

    it("the topology is what the test claims: conntrack timeouts lowered, no route from the carrier back to the office", () => {
      expect(topo.readSysctl(router, "net.netfilter.nf_conntrack_udp_timeout")).toBe(String(CONNTRACK_TIMEOUT_S));
      expect(topo.readSysctl(router, "net.netfilter.nf_conntrack_udp_timeout_stream")).toBe(
        String(CONNTRACK_TIMEOUT_S),
      );
      expect(run("ip", ["-n", carrier, "route", "show"])).not.toMatch(/default|10\.212\.1\./);
    });

    it("registers with a Contact that carries the router's public address, learned from received/rport", async () => {
      await waitForRegistration(t, trunkId, (r) => r.status === "registered", 20_000);
      // The first REGISTER may carry the private address; the corrected one follows on its own.
      const contacts = await waitForBindings(
        (c) => c.length > 0 && c.every((x) => x.includes(`@${ROUTER_PUBLIC}:`)),
        20_000,
      );
      for (const contact of contacts) expect(contact).not.toContain(OFFICE);
      const reg = (await getTrunk(t, trunkId)).registration;
      expect(reg).toMatchObject({ status: "registered", server: `${CARRIER}:${k.port}` });
      expect(reg.contact).toContain(`@${ROUTER_PUBLIC}:`);
    }, 60_000);

    it(`after ${IDLE_S} s idle (mappings live ${CONNTRACK_TIMEOUT_S} s), a call from the carrier still reaches us: keep-alives held the mapping; audio both ways`, async () => {
      const before = (await getTrunk(t, trunkId)).registration;
      expect(before.status, "not registered: nothing to keep alive").toBe("registered");
      await new Promise((r) => setTimeout(r, IDLE_S * 1000));
      // A REGISTER refresh in the idle time would hold the mapping too: only keep-alives may have.
      const after = (await getTrunk(t, trunkId)).registration;
      expect(after.expires_at, "the trunk registered again while idle: this would not prove keep-alives").toBe(
        before.expires_at,
      );
      expect(after.status).toBe("registered");

      const ours = readWav(ourWav).samples;
      const answered = answerWith(t, ours);
      const phone = await runBaresip({
        netns: carrier,
        address: CARRIER,
        account: `<sip:bob@${CARRIER}:${k.port};transport=udp>;auth_pass=bobpass;regint=60`,
        wav: callerWav,
        dial: `sip:alice@${CARRIER}:${k.port}`,
        seconds: 15,
      });
      const call = await callOutcome(t, answered.callId, phone, 25_000);
      expect(
        call,
        `the call did not reach us through the NAT:\n${phone.output()}\nrouter conntrack:\n${conntrack()}`,
      ).toBeTruthy();
      expect(phone.output()).toMatch(/Call established/);
      expect(call).toMatchObject({ status: "ended", direction: "inbound", assistant_phone: NUMBER });

      const inbound = maxCrossCorrelation(readWav(callerWav).samples, answered.heard(), 4000);
      expect(inbound.value, "the caller's audio did not reach us through the NAT (SDP address/port?)").toBeGreaterThan(
        0.9,
      );
      const [recording] = phone.recordings("dec");
      expect(recording, `no recording in ${phone.recordDir}`).toBeTruthy();
      expect(
        maxCrossCorrelation(ours, readWav(recording).samples, 4000).value,
        "our audio did not reach the caller",
      ).toBeGreaterThan(0.9);
    }, 90_000);

    /** Polls kamailio's bindings for alice (fetched from the office, through the NAT) until `done` holds. */
    async function waitForBindings(done: (contacts: string[]) => boolean, ms: number): Promise<string[]> {
      const deadline = Date.now() + ms;
      let contacts: string[] = [];
      while (Date.now() < deadline) {
        contacts = await fetchBindings({
          registrar: { address: CARRIER, port: k.port },
          user: "alice",
          password: "secret",
        });
        if (done(contacts)) return contacts;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(
        `kamailio's bindings for alice after ${ms} ms: ${JSON.stringify(contacts)} (wanted the router's address ${ROUTER_PUBLIC})`,
      );
    }
  },
);
