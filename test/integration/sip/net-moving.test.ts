import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasNetns, run, teardown, Topology, type Link } from "../../helpers/netns.js";
import { fetchBindings } from "../../support/sip-probe.js";
import { createTrunk, sipPort, waitForRegistration } from "../../helpers/net-telephony.js";

/*
 * A laptop that moves networks. Topology (this file owns 10.214.0.0/16):
 *
 *   test's namespace (engine)  10.214.0.1, later 10.214.0.7 ──veth── 10.214.0.2  "carrier": kamailio :5060
 *
 * The engine's address toward the trunk changes while it is registered; it must notice by itself,
 * register from the new address and remove the binding of the old one.
 */
const FIRST = "10.214.0.1";
const SECOND = "10.214.0.7";
const CARRIER = "10.214.0.2";

describe.skipIf(!hasNetns || !hasKamailio)(
  "a laptop moving networks (network namespaces; skipped only where not root or kamailio is not installed)",
  () => {
    const topo = new Topology();
    let link: Link;
    let k: Kamailio;
    let t: TestEngine;
    let trunkId = "";

    beforeAll(async () => {
      const carrier = topo.namespace("carrier");
      link = topo.link({ ns: null, address: `${FIRST}/24` }, { ns: carrier, address: `${CARRIER}/24` });
      k = await startKamailio({ netns: carrier, address: CARRIER });
      t = await startTestEngine({ sipAddressCheckMs: 500, sipRetryBaseMs: 300 });
      trunkId = (
        await createTrunk(t, { name: "Carrier", host: CARRIER, port: k.port, username: "alice", password: "secret" })
      ).id;
    });
    afterAll(async () => {
      await teardown(
        () => t?.stop(),
        () => k?.stop(),
        () => topo.cleanup(),
      );
    });

    it("registers again from the new address when the old one goes away, and the registrar forgets the old one", async () => {
      const first = await waitForRegistration(t, trunkId, (r) => r.status === "registered", 20_000);
      expect(first.contact).toContain(`@${FIRST}:${sipPort(t)}`);

      // The network changes under the running engine: the old address is gone, a new one routes to the carrier.
      // (In this order: deleting a primary address also deletes the secondaries of its subnet.)
      run("ip", ["addr", "del", `${FIRST}/24`, "dev", link.a]);
      run("ip", ["addr", "add", `${SECOND}/24`, "dev", link.a]);

      const moved = await waitForRegistration(
        t,
        trunkId,
        (r) => r.status === "registered" && Boolean(r.contact?.includes(`@${SECOND}:`)),
        20_000,
      );
      expect(moved.server).toBe(`${CARRIER}:${k.port}`);
      // Asked of kamailio itself: only the new binding is left, so calls do not fork to a dead address.
      const bindings = await fetchBindings({
        registrar: { address: CARRIER, port: k.port },
        user: "alice",
        password: "secret",
      });
      expect(
        bindings.some((c) => c.includes(`@${SECOND}:${sipPort(t)}`)),
        JSON.stringify(bindings),
      ).toBe(true);
      expect(
        bindings.some((c) => c.includes(`@${FIRST}:`)),
        JSON.stringify(bindings),
      ).toBe(false);
    }, 60_000);
  },
);
