import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { freeUdpPort } from "../helpers/ports.js";

const SECRET = "whsec_test_9f8e7d";

/** The verifier exactly as webhooks.md §4 documents it, written independently of the engine's signer. */
function verifyAsDocumented(raw: string, ts: string, sigHeader: string, secret: string): boolean {
  const expected = createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex");
  const got = sigHeader.replace(/^sha256=/, "");
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

interface Received { headers: IncomingHttpHeaders; raw: string; body: any; verified: boolean }

/** A local receiver on a fixed port that can be taken down and brought back, or answer 503. */
class Receiver {
  received: Received[] = [];
  mode: "ok" | "503" = "ok";
  private server: Server | null = null;
  constructor(readonly port: number) {}
  get url() { return `http://127.0.0.1:${this.port}/hooks`; }
  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d) => { raw += d; });
      req.on("end", () => {
        if (this.mode === "503") { res.writeHead(503).end(); return; }
        const ts = String(req.headers["x-webhook-timestamp"]);
        this.received.push({ headers: req.headers, raw, body: JSON.parse(raw), verified: verifyAsDocumented(raw, ts, String(req.headers["x-webhook-signature"] ?? ""), SECRET) });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
  }
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
  }
  byDelivery(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.received) m.set(String(r.headers["x-webhook-delivery"]), (m.get(String(r.headers["x-webhook-delivery"])) ?? 0) + 1);
    return m;
  }
}

async function until(fn: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const FAST_RETRY = { baseDelayMs: 100, maxDelayMs: 400, maxAttempts: 50, timeoutMs: 2000 };
let engines: TestEngine[] = [];
let receivers: Receiver[] = [];
afterEach(async () => {
  for (const e of engines) await e.stop().catch(() => undefined);
  for (const r of receivers) await r.down();
  engines = []; receivers = [];
});

/** One full call through the call manager: in-progress, ended by the caller, then its report. */
async function runCall(t: TestEngine, assistantId: string, n: number): Promise<string> {
  const assistant = t.store.assistants.get(assistantId)!;
  const { webhook_secret: _mask, ...config } = assistant;
  const id = `call-inbound-wh${n}`;
  t.engine.calls.create({ id, status: "connecting", direction: "inbound", caller_phone: "+31612345678", agent_id: assistantId, agent_name: assistant.name,
    assistant_config: { ...config, metadata: { crm_id: `C-${n}` }, webhook_secret_enc: t.store.box.seal(SECRET) } });
  t.engine.calls.transition(id, "in-progress");
  t.engine.calls.addMessage(id, "assistant", "Good morning, Riverside Dental.");
  t.engine.calls.addMessage(id, "user", "Hi, I need to move my appointment.");
  t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
  t.engine.calls.finishReport(id, { summary: "Caller moved her appointment." });
  return id;
}

async function setup(receiver: Receiver, dataDir?: string): Promise<{ t: TestEngine; assistantId: string }> {
  const t = await startTestEngine({ webhookRetry: FAST_RETRY, ...(dataDir ? { dataDir } : {}) });
  engines.push(t);
  const res = await t.api("/api/v1/assistants", { method: "POST", json: { name: "Front desk", webhook_url: receiver.url, webhook_secret: SECRET, webhook_events: ["status-update", "end-of-call-report"] } });
  return { t, assistantId: ((await res.json()) as any).assistant.id };
}

describe("webhooks", () => {
  it("a receiver gets status-update (in-progress, ended) then end-of-call-report, signed as documented", async () => {
    const rx = new Receiver(await freeUdpPort());
    receivers.push(rx);
    await rx.up();
    const { t, assistantId } = await setup(rx);
    const callId = await runCall(t, assistantId, 1);
    await until(() => rx.received.length === 3);
    expect(rx.received.map((r) => [r.body.message.type, r.body.message.call.status])).toEqual([
      ["status-update", "in-progress"], ["status-update", "ended"], ["end-of-call-report", "ended"]]);
    for (const r of rx.received) {
      expect(r.verified).toBe(true);
      expect(r.headers["x-webhook-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(Math.abs(Number(r.headers["x-webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
      expect(r.headers["x-webhook-event"]).toBe(r.body.message.type);
      expect(r.headers["user-agent"]).toBe("HMS-Sovereign/1.0");
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.body.message.call).toMatchObject({ id: callId, type: "inbound_phone_call" });
      expect(r.body.message.customer).toEqual({ number: "+31612345678" });
      expect(r.body.message.assistant).toMatchObject({ name: "Front desk", metadata: { crm_id: "C-1" } });
      expect(r.raw).not.toContain(SECRET);
      expect(r.raw).not.toContain("webhook_secret");
    }
    const report = rx.received[2].body.message;
    expect(report).toMatchObject({ summary: "Caller moved her appointment.", end_reason: "user_hangup",
      messages: [{ role: "assistant", content: "Good morning, Riverside Dental." }, { role: "user", content: "Hi, I need to move my appointment." }] });
    expect(typeof report.duration_seconds).toBe("number");
    expect(report.started_at && report.ended_at).toBeTruthy();
    expect(rx.received[1].body.message.end_reason).toBe("user_hangup");
  });

  it("a receiver that is down, then back, gets every event exactly once by delivery id; attempts are visible", async () => {
    const rx = new Receiver(await freeUdpPort());
    receivers.push(rx);
    await rx.up();
    rx.mode = "503";
    const { t, assistantId } = await setup(rx);
    for (let i = 0; i < 3; i++) await runCall(t, assistantId, 10 + i);
    await until(() => t.store.db.prepare("SELECT COUNT(*) FROM webhook_attempts").pluck().get() as number >= 6);
    // Also a closed port for a while, not only 503s.
    await rx.down();
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    expect((await t.api("/api/v1/calls?limit=5")).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    rx.mode = "ok";
    await rx.up();
    await until(() => rx.received.length >= 9);
    await new Promise((r) => setTimeout(r, 500));
    const counts = rx.byDelivery();
    expect(counts.size).toBe(9);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const callId of ["call-inbound-wh10", "call-inbound-wh11", "call-inbound-wh12"]) {
      const order = rx.received.filter((r) => r.body.message.call.id === callId).map((r) => `${r.body.message.type}:${r.body.message.call.status}`);
      expect(order).toEqual(["status-update:in-progress", "status-update:ended", "end-of-call-report:ended"]);
    }
    const list = (await (await t.api("/api/v1/webhook-deliveries?status=delivered")).json()) as any;
    expect(list.pagination.total).toBe(9);
    const retried = list.deliveries.find((d: any) => d.attempts > 1);
    expect(retried).toBeTruthy();
    const one = (await (await t.api(`/api/v1/webhook-deliveries/${retried.id}`)).json()) as any;
    expect(one.delivery.attempt_log.length).toBe(retried.attempts);
    expect(one.delivery.attempt_log[0].error).toMatch(/503|ECONNREFUSED/);
    expect(JSON.stringify(one)).not.toContain(SECRET);
  });

  it("events queued while the receiver is down survive an engine restart and arrive exactly once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "voicedock-wh-restart-"));
    try {
      const rx = new Receiver(await freeUdpPort());
      receivers.push(rx);
      const first = await setup(rx, dataDir);
      await runCall(first.t, first.assistantId, 20);
      await runCall(first.t, first.assistantId, 21);
      await until(() => first.t.store.db.prepare("SELECT COUNT(*) FROM webhook_attempts").pluck().get() as number >= 2);
      await first.t.stop({ keepData: true });
      engines = engines.filter((e) => e !== first.t);

      const second = await startTestEngine({ dataDir, webhookRetry: FAST_RETRY });
      engines.push(second);
      await rx.up();
      await until(() => rx.received.length >= 6);
      await new Promise((r) => setTimeout(r, 500));
      const counts = rx.byDelivery();
      expect(counts.size).toBe(6);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(rx.received.every((r) => r.verified)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
