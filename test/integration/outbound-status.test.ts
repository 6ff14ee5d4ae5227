import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { UdpCarrier } from "../helpers/udp-carrier.js";
import { waitFor } from "../helpers/wait.js";

// A real engine, real SIP over UDP to a hand-written carrier (test/helpers/udp-carrier.ts), real webhooks.
let t: TestEngine;
let carrier: UdpCarrier;
let hooks: Server;
const hookBodies: any[] = [];
let assistantId = "";

beforeAll(async () => {
  t = await startTestEngine();
  carrier = await new UdpCarrier().start();
  hooks = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      hookBodies.push(JSON.parse(raw));
      res.writeHead(200).end("{}");
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", () => r()));
  const hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hooks`;
  assistantId = (
    (await (
      await t.api("/api/v1/assistants", { method: "POST", json: { name: "Dialer", webhook_url: hookUrl } })
    ).json()) as any
  ).assistant.id;
});
afterAll(async () => {
  await t.stop();
  carrier.close();
  hooks.close();
});

const post = async (path: string, json: unknown) => {
  const r = await t.api(path, { method: "POST", json });
  return { status: r.status, body: (await r.json()) as any };
};

describe("outbound calls: status (issue #13 §2) and refusals known at request time (§3)", () => {
  it("no trunk at all, a number without a trunk, a disabled trunk: 409 naming what to add, and no call row", async () => {
    const calls = async () => ((await (await t.api("/api/v1/calls")).json()) as any).pagination.total;
    const before = await calls();

    const none = await post("/api/v1/calls/outbound", { destination: "+31612345678", assistant_id: assistantId });
    expect(none.status).toBe(409);
    expect(none.body).toMatchObject({ error: "Conflict", code: "no_sip_trunk" });
    expect(none.body.message).toMatch(/No SIP trunk is configured: add one with POST \/api\/v1\/sip-trunks/);

    const number = (await post("/api/v1/numbers", { phone_number: "+31850000111" })).body.number;
    const bare = await post("/api/v1/calls/outbound", {
      destination: "+31612345678",
      assistant_id: assistantId,
      number_id: number.id,
    });
    expect(bare.status).toBe(409);
    expect(bare.body.message).toMatch(
      /Number \+31850000111 has no SIP trunk, and none is configured: add one with POST \/api\/v1\/sip-trunks and attach it with PATCH \/api\/v1\/numbers\//,
    );

    const trunk = (
      await post("/api/v1/sip-trunks", {
        name: "Main",
        host: "127.0.0.1",
        port: carrier.port,
        register: false,
        is_active: false,
      })
    ).body.trunk;
    const allDisabled = await post("/api/v1/calls/outbound", {
      destination: "+31612345678",
      assistant_id: assistantId,
    });
    expect(allDisabled.status).toBe(409);
    expect(allDisabled.body).toMatchObject({ code: "sip_trunk_inactive" });
    expect(allDisabled.body.message).toMatch(/Every SIP trunk is disabled \('Main'\): enable one with PATCH/);

    await t.api(`/api/v1/numbers/${number.id}`, { method: "PATCH", json: { sip_trunk_id: trunk.id } });
    const disabled = await post("/api/v1/calls/outbound", {
      destination: "+31612345678",
      assistant_id: assistantId,
      number_id: number.id,
    });
    expect(disabled.status).toBe(409);
    expect(disabled.body).toMatchObject({ code: "sip_trunk_inactive" });
    expect(disabled.body.message).toMatch(
      /SIP trunk 'Main', which carries number \+31850000111, is disabled: enable it \(PATCH \/api\/v1\/sip-trunks\//,
    );

    expect(await calls()).toBe(before);
    expect((await t.api(`/api/v1/sip-trunks/${trunk.id}`, { method: "PATCH", json: { is_active: true } })).status).toBe(
      200,
    );
  });

  it("a ringing far end leaves `status` connecting and sets `ringing_at`; the status only takes documented values, webhooks never say ringing", async () => {
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    const events: any[] = [];
    ws.on("message", (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once("open", r));

    const seen = carrier.invites.length;
    const out = await post("/api/v1/calls/outbound", { destination: "+31612345678", assistant_id: assistantId });
    expect(out.status).toBe(200);
    expect(out.body.status).toBe("dialing");
    const id = out.body.call_id;
    // The trunk is enabled a moment ago: telephony syncs it, then the INVITE goes out.
    const invite = await waitFor(() => carrier.invites[seen], 10_000);
    carrier.respond(invite, 100, "Trying");
    carrier.respond(invite, 180, "Ringing");
    let ringing: any = null;
    for (let i = 0; i < 400 && !ringing?.ringing_at; i++) {
      ringing = await (await t.api(`/api/v1/calls/${id}`)).json();
      if (!ringing.ringing_at) await new Promise((r) => setTimeout(r, 25));
    }
    expect(ringing.status).toBe("connecting");
    expect(Date.parse(ringing.ringing_at)).not.toBeNaN();
    const list = ((await (await t.api("/api/v1/calls?status=connecting")).json()) as any).calls.map((c: any) => c.id);
    expect(list).toContain(id);
    expect((await t.api("/api/v1/calls?status=ringing")).status).toBe(400);

    carrier.respond(invite, 486, "Busy Here");
    const ended = await waitFor(() => events.find((e) => e.type === "call.ended" && e.call.id === id), 10_000);
    expect(ended.call).toMatchObject({ status: "failed", end_reason: "sip_error", error: "busy" });
    expect(ended.call.ringing_at).toBe(ringing.ringing_at);
    const statuses = events.filter((e) => e.call?.id === id).map((e) => e.call.status);
    for (const s of statuses) expect(["connecting", "in-progress", "ended", "failed"]).toContain(s);
    ws.close();

    await waitFor(
      () =>
        hookBodies.some(
          (b) =>
            b.message.call?.id === id &&
            b.message.type === "status-update" &&
            b.message.call.status === "ended-with-error",
        ),
      10_000,
    );
    const hookStatuses = hookBodies
      .filter((b) => b.message.call?.id === id && b.message.type === "status-update")
      .map((b) => b.message.call.status);
    expect(hookStatuses).not.toContain("ringing");

    // A call that never got an answer still gets its report, after the status-update, with the reason.
    const report = await waitFor(
      () => hookBodies.find((b) => b.message.call?.id === id && b.message.type === "end-of-call-report"),
      10_000,
    );
    expect(report.message).toMatchObject({
      call: { status: "ended-with-error" },
      end_reason: "sip_error",
      error: "busy",
      duration_seconds: 0,
      summary: "",
      messages: [],
    });
    const order = hookBodies.filter((b) => b.message.call?.id === id).map((b) => b.message.type);
    expect(order.indexOf("end-of-call-report")).toBeGreaterThan(order.lastIndexOf("status-update"));
    expect(order.filter((x) => x === "end-of-call-report")).toHaveLength(1);
  });
});

describe("the outbound allow-list (issue #13 §9)", () => {
  it("API-placed calls outside the countries of our numbers are refused 403 with the way to allow them; the list is a setting", async () => {
    // The engine has +31850000111 (first describe): +31 is allowed by default.
    const settings = (await (await t.api("/api/v1/settings")).json()) as any;
    expect(settings).toEqual({
      outbound_allowed_prefixes: null,
      effective_outbound_allowed_prefixes: ["+31"],
      call_handling: { mode: "ring_me", ai_after_seconds: 15, fallback_assistant_id: null },
      steer_macros: [],
    });
    for (const destination of ["+19005550199", "sip:+19005550199@carrier.example"]) {
      const r = await post("/api/v1/calls/outbound", { destination, assistant_id: assistantId });
      expect(r.status, destination).toBe(403);
      expect(r.body).toMatchObject({ error: "Forbidden", code: "destination_not_allowed" });
      expect(r.body.message).toMatch(
        /^\+19005550199 is outside the allowed destinations \(\+31\): add its prefix with PATCH \/api\/v1\/settings/,
      );
    }
    const widened = await t.api("/api/v1/settings", {
      method: "PATCH",
      json: { outbound_allowed_prefixes: ["+31", "+1"] },
    });
    expect(((await widened.json()) as any).effective_outbound_allowed_prefixes).toEqual(["+31", "+1"]);
    expect(
      (await post("/api/v1/calls/outbound", { destination: "+14155550100", assistant_id: assistantId })).status,
    ).toBe(200);
    expect(
      (await t.api("/api/v1/settings", { method: "PATCH", json: { outbound_allowed_prefixes: ["31"] } })).status,
    ).toBe(400);
    await t.api("/api/v1/settings", { method: "PATCH", json: { outbound_allowed_prefixes: null } });
    expect(
      (await post("/api/v1/calls/outbound", { destination: "+14155550100", assistant_id: assistantId })).status,
    ).toBe(403);
  });
});

describe("every call gets its end-of-call-report (issue #13 §11)", () => {
  it("a call recovered after a crash is reported with end_reason engine_restart and the error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "voicedock-report-"));
    const received: any[] = [];
    const receiver = createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => {
        raw += d;
      });
      req.on("end", () => {
        received.push(JSON.parse(raw));
        res.writeHead(200).end("{}");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    try {
      const first = await startTestEngine({ dataDir });
      first.engine.calls.create({
        id: "call-inbound-crashed1",
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612345678",
        assistant_config: {
          name: "Desk",
          webhook_url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`,
        },
      });
      first.engine.calls.transition("call-inbound-crashed1", "in-progress");
      await first.stop({ keepData: true });
      // The row says in-progress, as a crash leaves it; the next start closes it and reports it.
      const second = await startTestEngine({ dataDir });
      try {
        const report = await waitFor(
          () =>
            received.find(
              (b) => b.message.type === "end-of-call-report" && b.message.call.id === "call-inbound-crashed1",
            ),
          10_000,
        );
        expect(report.message).toMatchObject({
          call: { status: "ended-with-error" },
          end_reason: "engine_restart",
          error: "VoiceDock stopped while this call was active",
          summary: "",
        });
        expect(typeof report.message.started_at).toBe("string");
      } finally {
        await second.stop();
      }
    } finally {
      receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
