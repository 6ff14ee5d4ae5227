import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { freeUdpPort } from "../../support/ports.js";

describe.skipIf(!hasKamailio)(
  "the console's trunk page: SIP log, registration details, register now (skipped only where the kamailio package is not installed)",
  () => {
    let k: Kamailio;
    let late: Kamailio | null = null;
    let t: TestEngine;
    beforeAll(async () => {
      k = await startKamailio();
      // Retries are minutes away: anything that registers sooner was asked to.
      t = await startTestEngine({ sipRetryBaseMs: 120_000 });
    });
    afterAll(async () => {
      await t?.stop();
      await k?.stop();
      await late?.stop();
    });

    async function create(json: object): Promise<string> {
      const res = await t.api("/api/v1/sip-trunks", { method: "POST", json });
      expect(res.status).toBe(201);
      return ((await res.json()) as any).trunk.id;
    }

    async function registration(id: string, status: string, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const trunk = ((await (await t.api(`/api/v1/sip-trunks/${id}`)).json()) as any).trunk;
        if (trunk.registration.status === status) return trunk.registration;
        if (Date.now() > deadline) throw new Error(`trunk stayed ${JSON.stringify(trunk.registration)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it("the SIP log shows REGISTER → 401 → REGISTER → 200 with the digest response redacted", async () => {
      const id = await create({ name: "Main", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" });
      const reg = await registration(id, "registered");
      expect(reg.code).toBe(200);
      expect(Date.parse(reg.last_attempt_at)).toBeLessThanOrEqual(Date.now());
      expect(reg.next_retry_at).toBeNull();

      const res = await t.api(`/api/v1/sip-trunks/${id}/sip-log`);
      expect(res.status).toBe(200);
      const log = (await res.json()) as any;
      expect(log.trunk_id).toBe(id);
      const ladder = log.messages.map((m: any) => `${m.direction} ${m.first_line.replace(/ sip:\S+/, "")}`);
      expect(ladder.slice(0, 4)).toEqual([
        "out REGISTER SIP/2.0",
        "in SIP/2.0 401 Unauthorized",
        "out REGISTER SIP/2.0",
        "in SIP/2.0 200 OK",
      ]);
      for (const m of log.messages) {
        expect(m.remote).toBe(`127.0.0.1:${k.port}`);
        expect(Date.parse(m.at)).toBeGreaterThan(Date.now() - 60_000);
      }
      const authorized = log.messages[2].text as string;
      const auth = /^Authorization:.*$/im.exec(authorized)![0];
      expect(auth).toMatch(/username="alice"/);
      expect(auth).toMatch(/nonce="/);
      expect(auth).toMatch(/response="…"/);
      expect(auth).not.toMatch(/response="[0-9a-f]{32}"/);
      expect(JSON.stringify(log)).not.toContain("secret");
      expect(log.messages[1].text).toMatch(/^WWW-Authenticate: Digest/im);
    });

    it("an unknown trunk's SIP log is a 404 with {error, message}", async () => {
      const res = await t.api("/api/v1/sip-trunks/00000000-0000-4000-8000-000000000000/sip-log");
      expect(res.status).toBe(404);
      const body = (await res.json()) as any;
      expect(body.error).toBeTypeOf("string");
      expect(body.message).toMatch(/does not exist/);
    });

    it("a wrong password shows failed with code 401 and its reason, and when the next retry is due", async () => {
      const id = await create({ name: "Typo", host: "127.0.0.1", port: k.port, username: "bob", password: "bobpas" });
      const failed = await registration(id, "failed");
      expect([401, 403]).toContain(failed.code);
      expect(failed.reason).toMatch(/SIP trunk 'Typo' rejected our credentials \(401 Unauthorized\)/);
      expect(Date.parse(failed.last_attempt_at)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(failed.next_retry_at)).toBeGreaterThan(Date.now() + 60_000);
      expect((await t.api(`/api/v1/sip-trunks/${id}`, { method: "PATCH", json: { password: "bobpass" } })).status).toBe(
        200,
      );
      expect((await registration(id, "registered")).code).toBe(200);
    });

    it("register now: a trunk whose registrar was down registers at once when it is back, not at the retry", async () => {
      const port = await freeUdpPort();
      const id = await create({
        name: "Late",
        host: "127.0.0.1",
        port,
        transport: "tcp",
        username: "alice",
        password: "secret",
      });
      const failed = await registration(id, "failed");
      expect(failed.code).toBeNull();
      expect(failed.reason).toMatch(/Late/);
      expect(Date.parse(failed.next_retry_at)).toBeGreaterThan(Date.now() + 60_000);
      late = await startKamailio({ port });
      const res = await t.api(`/api/v1/sip-trunks/${id}/register`, { method: "POST" });
      expect(res.status).toBe(202);
      expect(((await res.json()) as any).trunk.id).toBe(id);
      const reg = await registration(id, "registered", 8000);
      expect(reg.code).toBe(200);
    });

    it("register now on a disabled trunk is a 409 that says to enable it", async () => {
      const id = await create({ name: "Off", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" });
      await t.api(`/api/v1/sip-trunks/${id}`, { method: "PATCH", json: { is_active: false } });
      const res = await t.api(`/api/v1/sip-trunks/${id}/register`, { method: "POST" });
      expect(res.status).toBe(409);
      expect(((await res.json()) as any).message).toMatch(/disabled/);
    });
  },
);
