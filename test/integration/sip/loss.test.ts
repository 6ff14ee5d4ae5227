import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasSipp, startSippUas } from "../../helpers/sipp.js";
import { LossyRelay } from "../../helpers/lossy-relay.js";
import { waitFor } from "../../helpers/wait.js";

describe.skipIf(!hasKamailio || !hasSipp)(
  "20 % signalling loss (skipped only where kamailio or sip-tester is not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    const relays: LossyRelay[] = [];
    beforeAll(async () => {
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 500 });
    });
    afterAll(async () => {
      relays.forEach((r) => r.close());
      await t?.stop();
      await k?.stop();
    });

    it("REGISTER with digest auth completes through a relay that drops 20 % each way", async () => {
      const relay = new LossyRelay({ host: "127.0.0.1", port: k.port }, 0.2, 7);
      relays.push(relay);
      const port = await relay.start();
      const trunk = (
        (await (
          await t.api("/api/v1/sip-trunks", {
            method: "POST",
            json: { name: "Lossy", host: "127.0.0.1", port, username: "alice", password: "secret" },
          })
        ).json()) as any
      ).trunk;
      await waitFor(() => t.store.sipTrunks.get(trunk.id)!.registration.status === "registered", 40_000);
      expect(relay.stats.dropped).toBeGreaterThan(0);
      await t.api(`/api/v1/sip-trunks/${trunk.id}`, { method: "DELETE" });
    });

    it("a full outbound call (INVITE, 200, ACK, BYE) completes through the same loss", async () => {
      const sipp = await startSippUas();
      const relay = new LossyRelay({ host: "127.0.0.1", port: sipp.port }, 0.2, 99);
      relays.push(relay);
      const port = await relay.start();
      await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "Lossy sipp", host: "127.0.0.1", port } });
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "A" } })).json()) as any
      ).assistant.id;
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(t.store.sipTrunks.list()[0].id), 5000);
      const id = (
        (await (
          await t.api("/api/v1/calls/outbound", {
            method: "POST",
            json: { destination: "+31612345678", assistant_id: assistant },
          })
        ).json()) as any
      ).call_id;
      await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 40_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } })).status).toBe(
        200,
      );
      await waitFor(() => t.store.calls.get(id)!.status === "ended", 40_000);
      expect(await sipp.exited, sipp.output()).toBe(0);
      expect(relay.stats.dropped).toBeGreaterThan(0);
    });
  },
);
