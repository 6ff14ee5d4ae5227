import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";

describe.skipIf(!hasKamailio)(
  "SIP trunks through the API register to kamailio (skipped only where the kamailio package is not installed)",
  () => {
    let k: Kamailio;
    let t: TestEngine;
    const events: any[] = [];
    let ws: WebSocket;
    beforeAll(async () => {
      k = await startKamailio();
      t = await startTestEngine({ sipRetryBaseMs: 300 });
      ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?api_key=${t.apiKey}`);
      ws.on("message", (m) => events.push(JSON.parse(String(m))));
      await new Promise((r) => ws.once("open", r));
    });
    afterAll(async () => {
      ws?.close();
      await t?.stop();
      await k?.stop();
    });

    async function registration(id: string, status: string) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const trunk = ((await (await t.api(`/api/v1/sip-trunks/${id}`)).json()) as any).trunk;
        if (trunk.registration.status === status) return trunk.registration;
        if (Date.now() > deadline) throw new Error(`trunk stayed ${JSON.stringify(trunk.registration)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it("a trunk with the right credentials shows `registered` with an expiry, and the change is streamed", async () => {
      const res = await t.api("/api/v1/sip-trunks", {
        method: "POST",
        json: { name: "Kamailio", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" },
      });
      expect(res.status).toBe(201);
      const id = ((await res.json()) as any).trunk.id;
      const reg = await registration(id, "registered");
      expect(Date.parse(reg.expires_at)).toBeGreaterThan(Date.now());
      expect(
        events.filter((e) => e.type === "trunk.registration" && e.trunk_id === id).map((e) => e.registration.status),
      ).toEqual(expect.arrayContaining(["registering", "registered"]));
    });

    it("a wrong password shows `failed` with the SIP reason; fixing it through PATCH registers", async () => {
      const res = await t.api("/api/v1/sip-trunks", {
        method: "POST",
        json: { name: "Typo", host: "127.0.0.1", port: k.port, username: "bob", password: "bobpas" },
      });
      const id = ((await res.json()) as any).trunk.id;
      const failed = await registration(id, "failed");
      expect(failed.reason).toMatch(
        /SIP trunk 'Typo' rejected our credentials \(401 Unauthorized\): check username and password/,
      );
      expect((await t.api(`/api/v1/sip-trunks/${id}`, { method: "PATCH", json: { password: "bobpass" } })).status).toBe(
        200,
      );
      await registration(id, "registered");
    });
  },
);
