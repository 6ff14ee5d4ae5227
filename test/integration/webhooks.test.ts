import { afterEach, describe, expect, it } from "vitest";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait.js";
import { Store } from "../../main/engine/store/index.js";
import { EventBus } from "../../main/engine/events/bus.js";
import { WebhookService } from "../../main/engine/webhooks/service.js";

// Real HTTP over loopback: the engine posts to a node:http receiver on 127.0.0.1 that checks every
// request the way webhooks.md tells a customer to.

const SECRET = "whsec_test_9f8e7d";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The verifier exactly as webhooks.md §4 sketches it, independent of the engine's signer. */
function verifyAsDocumented(raw: string, ts: string, sigHeader: string, secret: string): boolean {
  const expected = createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex");
  const got = sigHeader.replace(/^sha256=/, "");
  return got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
}

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  verified: boolean;
  fresh: boolean;
}

/**
 * A customer's webhook receiver. It keeps its port across down()/up(), and can answer 503 or hang
 * (accept the request and never answer) to play a failing server.
 */
class Receiver {
  received: Received[] = [];
  /** Requests that reached the receiver, whatever it answered. */
  hits = 0;
  mode: "ok" | "503" | "hang" | "big" = "ok";
  port = 0;
  private server: Server | null = null;
  private hanging: ServerResponse[] = [];
  get url() {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async up(): Promise<this> {
    const server = createServer((req, res) => {
      let raw = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => {
        raw += d;
      });
      req.on("end", () => {
        this.hits++;
        if (this.mode === "503") {
          res.writeHead(503).end("busy");
          return;
        }
        if (this.mode === "big") {
          res.writeHead(500, { "content-type": "text/plain" }).end("stack trace line\n".repeat(400));
          return;
        }
        if (this.mode === "hang") {
          this.hanging.push(res);
          return;
        }
        const ts = String(req.headers["x-webhook-timestamp"]);
        this.received.push({
          headers: req.headers,
          raw,
          body: JSON.parse(raw),
          verified: verifyAsDocumented(raw, ts, String(req.headers["x-webhook-signature"] ?? ""), SECRET),
          fresh: Math.abs(Number(ts) - Date.now() / 1000) <= 300,
        });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", () => r()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Reserves a port without listening (connections are refused until up()). */
  async reservePort(): Promise<this> {
    await this.up();
    await this.down();
    return this;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.hanging = [];
    if (s)
      await new Promise((r) => {
        s.closeAllConnections();
        s.close(r);
      });
  }

  /** How many times each X-Webhook-Delivery id arrived (200-answered requests only). */
  byDelivery(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.received) {
      const id = String(r.headers["x-webhook-delivery"]);
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  }

  forCall(callId: string): string[] {
    return this.received
      .filter((r) => r.body.message.call.id === callId)
      .map((r) => `${r.body.message.type}:${r.body.message.call.status}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST_RETRY = { baseDelayMs: 100, maxDelayMs: 400, maxAttempts: 50, timeoutMs: 2000 };
const IN_ORDER = ["status-update:in-progress", "status-update:ended", "end-of-call-report:ended"];

let engines: TestEngine[] = [];
let receivers: Receiver[] = [];
let cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const r of receivers) await r.down();
  for (const e of engines) await e.stop().catch(() => undefined);
  for (const c of cleanups) await c();
  engines = [];
  receivers = [];
  cleanups = [];
});

function receiver(): Receiver {
  const r = new Receiver();
  receivers.push(r);
  return r;
}

async function engineWithAssistant(
  rx: Receiver,
  opts: { dataDir?: string; events?: string[] | null } = {},
): Promise<{ t: TestEngine; assistantId: string }> {
  const t = await startTestEngine({ webhookRetry: FAST_RETRY, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  engines.push(t);
  const assistantId = await createAssistant(
    t,
    rx,
    opts.events === undefined ? ["status-update", "end-of-call-report"] : opts.events,
  );
  return { t, assistantId };
}

async function createAssistant(
  t: TestEngine,
  rx: Receiver,
  events: string[] | null,
  name = "Front desk",
): Promise<string> {
  const res = await t.api("/api/v1/assistants", {
    method: "POST",
    json: {
      name,
      webhook_url: rx.url,
      webhook_secret: SECRET,
      webhook_events: events,
      metadata: { team: "desk" },
      llm_config: {
        provider: "openai",
        model: "gpt-4o-mini",
        tools: [
          { type: "function", name: "lookup", server: { url: "http://127.0.0.1:9/tool", secret: "tool-secret-77aa" } },
        ],
      },
    },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as any).assistant.id;
}

/**
 * One call through the call manager as telephony would drive it: the resolved assistant (with its sealed
 * secret and call-specific metadata) stored with the call, in-progress, two turns, ended by the caller, report.
 */
function runCall(
  t: TestEngine,
  assistantId: string,
  n: number,
  opts: { numberId?: string; fail?: boolean } = {},
): string {
  const { webhook_secret: _mask, ...config } = t.store.assistants.get(assistantId)!;
  const id = `call-inbound-wh${n}`;
  t.engine.calls.create({
    id,
    status: "connecting",
    direction: "inbound",
    caller_phone: "+31612345678",
    agent_id: assistantId,
    agent_name: config.name as string,
    number_id: opts.numberId ?? null,
    assistant_phone: opts.numberId ? "+31850835037" : null,
    assistant_config: { ...config, metadata: { crm_id: `C-${n}` }, webhook_secret_enc: t.store.box.seal(SECRET) },
  });
  t.engine.calls.transition(id, "in-progress");
  t.engine.calls.addMessage(id, "assistant", "Good morning, Riverside Dental.");
  t.engine.calls.addMessage(id, "user", "Hi, I need to move my appointment.");
  // What the post-call step would have stored; the engine's own post-call step then sends the report
  // (every ended call gets exactly one).
  t.store.calls.update(id, { summary: "Caller moved her appointment.", analysis_result: { intent: "reschedule" } });
  if (opts.fail)
    t.engine.calls.transition(id, "failed", { end_reason: "pipeline_error", error: "STT connection failed" });
  else t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
  return id;
}

const attemptsIn = (t: TestEngine) =>
  t.store.db.prepare("SELECT COUNT(*) FROM webhook_attempts").pluck().get() as number;

describe("webhooks over real HTTP", () => {
  it("a receiver gets status-update (in-progress, ended) then end-of-call-report, signed, with the documented headers and fields", async () => {
    const rx = await receiver().up();
    const { t, assistantId } = await engineWithAssistant(rx);
    const num = (await (
      await t.api("/api/v1/numbers", {
        method: "POST",
        json: { phone_number: "+31850835037", name: "Main line", assistant_id: assistantId },
      })
    ).json()) as any;
    const callId = runCall(t, assistantId, 1, { numberId: num.number.id });
    await waitFor(() => rx.received.length === 3);
    expect(rx.received.map((r) => `${r.body.message.type}:${r.body.message.call.status}`)).toEqual(IN_ORDER);

    for (const r of rx.received) {
      expect(r.verified, "signature verifies as documented").toBe(true);
      expect(r.fresh, "timestamp is now, in seconds").toBe(true);
      expect(r.headers["x-webhook-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(r.headers["x-webhook-timestamp"]).toMatch(/^\d{10}$/);
      expect(r.headers["x-webhook-event"]).toBe(r.body.message.type);
      expect(r.headers["x-webhook-delivery"]).toMatch(UUID);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["user-agent"]).toBe("HMS-Sovereign/1.0");
      expect(r.headers["user-assistant"]).toBe("HMS-Sovereign/1.0");
      const m = r.body.message;
      expect(new Date(m.timestamp).toISOString()).toBe(m.timestamp);
      expect(m.call).toMatchObject({ id: callId, type: "inbound_phone_call" });
      expect(m.phone_number).toEqual({ id: num.number.id, number: "+31850835037", name: "Main line" });
      expect(m.customer).toEqual({ number: "+31612345678" });
      // The resolved assistant with this call's metadata, and no secret of any kind.
      expect(m.assistant).toMatchObject({ name: "Front desk", webhook_url: rx.url, metadata: { crm_id: "C-1" } });
      expect(m.assistant.llm_config.tools[0]).toMatchObject({
        name: "lookup",
        server: { url: "http://127.0.0.1:9/tool" },
      });
      expect(m.assistant.llm_config.tools[0].server.secret).toBeUndefined();
      expect(r.raw).not.toContain(SECRET);
      expect(r.raw).not.toContain("tool-secret-77aa");
      expect(r.raw).not.toContain("webhook_secret");
    }
    expect(new Set(rx.received.map((r) => r.headers["x-webhook-delivery"])).size).toBe(3);

    const [inProgress, ended, report] = rx.received.map((r) => r.body.message);
    expect(inProgress.end_reason).toBeUndefined();
    expect(inProgress.error).toBeUndefined();
    expect(ended.end_reason).toBe("user_hangup");
    expect(ended.error).toBeUndefined();
    expect(report).toMatchObject({
      summary: "Caller moved her appointment.",
      analysis: { intent: "reschedule" },
      end_reason: "user_hangup",
      messages: [
        { role: "assistant", content: "Good morning, Riverside Dental." },
        { role: "user", content: "Hi, I need to move my appointment." },
      ],
    });
    expect(Number.isInteger(report.duration_seconds)).toBe(true);
    expect(report.recording_url).toBeUndefined();
    const call = t.store.calls.get(callId)!;
    expect(report.started_at).toBe(call.started_at);
    expect(report.ended_at).toBe(call.ended_at);

    // The same deliveries through the API, delivered at the first attempt, never showing a secret.
    const list = (await (await t.api(`/api/v1/webhook-deliveries?call_id=${callId}`)).json()) as any;
    expect(list.pagination).toEqual({ total: 3, limit: 100, offset: 0 });
    expect(list.deliveries.map((d: any) => [d.event, d.status, d.attempts, d.last_status_code])).toEqual([
      ["end-of-call-report", "delivered", 1, 200],
      ["status-update", "delivered", 1, 200],
      ["status-update", "delivered", 1, 200],
    ]);
    const detail = (await (await t.api(`/api/v1/webhook-deliveries/${list.deliveries[0].id}`)).json()) as any;
    expect(detail.delivery.payload).toEqual({ message: report });
    expect(detail.delivery.attempt_log).toMatchObject([{ attempt: 1, status_code: 200, error: null }]);
    expect(JSON.stringify(detail)).not.toContain("secret_enc");
    expect(JSON.stringify(detail)).not.toContain(SECRET);
  });

  it("a failed call is reported as ended-with-error with its error", async () => {
    const rx = await receiver().up();
    const { t, assistantId } = await engineWithAssistant(rx);
    const callId = runCall(t, assistantId, 2, { fail: true });
    await waitFor(() => rx.received.length === 3);
    expect(rx.forCall(callId)).toEqual([
      "status-update:in-progress",
      "status-update:ended-with-error",
      "end-of-call-report:ended-with-error",
    ]);
    expect(rx.received[1].body.message).toMatchObject({ error: "STT connection failed", end_reason: "pipeline_error" });
    // A call that came in without a known number: phone_number is all null.
    expect(rx.received[0].body.message.phone_number).toEqual({ id: null, number: null, name: null });
  });

  it("sends only subscribed events: a list filters, null sends every call event, [] sends none, no webhook_url sends nothing", async () => {
    const rx = await receiver().up();
    const { t, assistantId: reportOnly } = await engineWithAssistant(rx, { events: ["end-of-call-report"] });
    const everything = await createAssistant(t, rx, null, "Everything");
    const nothing = await createAssistant(t, rx, [], "Nothing");
    const noUrl = (
      (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "No URL" } })).json()) as any
    ).assistant.id;
    const a = runCall(t, reportOnly, 3);
    const b = runCall(t, everything, 4);
    const c = runCall(t, nothing, 5);
    const d = runCall(t, noUrl, 6);
    await waitFor(() => rx.received.length >= 4);
    await sleep(300);
    expect(rx.forCall(a)).toEqual(["end-of-call-report:ended"]);
    expect(rx.forCall(b)).toEqual(IN_ORDER);
    expect(rx.forCall(c)).toEqual([]);
    expect(rx.forCall(d)).toEqual([]);
    expect(rx.received.length).toBe(4);
  });

  it("a receiver that fails (503, then refused connections) and comes back gets every event exactly once per delivery id, in order", async () => {
    const rx = await receiver().up();
    rx.mode = "503";
    const { t, assistantId } = await engineWithAssistant(rx);
    const calls = [10, 11, 12].map((n) => runCall(t, assistantId, n));
    await waitFor(() => attemptsIn(t) >= 6);
    // Now a closed port for a while, not only 503s.
    await rx.down();
    const before = attemptsIn(t);
    await waitFor(() => attemptsIn(t) >= before + 3);
    rx.mode = "ok";
    await rx.up();
    await waitFor(() => rx.received.length >= 9);
    await sleep(500); // anything sent twice would arrive by now

    const counts = rx.byDelivery();
    expect(counts.size, "no delivery missing").toBe(9);
    expect(
      [...counts.values()].filter((n) => n > 1),
      "no delivery id twice",
    ).toEqual([]);
    expect(rx.received.every((r) => r.verified && r.fresh)).toBe(true);
    for (const id of calls) expect(rx.forCall(id)).toEqual(IN_ORDER);

    const list = (await (await t.api("/api/v1/webhook-deliveries?status=delivered&limit=50")).json()) as any;
    expect(list.pagination.total).toBe(9);
    expect(new Set(list.deliveries.map((d: any) => d.id))).toEqual(new Set(counts.keys()));
    const retried = list.deliveries.filter((d: any) => d.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    const one = (await (await t.api(`/api/v1/webhook-deliveries/${retried[0].id}`)).json()) as any;
    expect(one.delivery.attempt_log.length).toBe(retried[0].attempts);
    expect(one.delivery.attempt_log.at(-1)).toMatchObject({ status_code: 200, error: null, response_body: "{}" });
    // What the failing receiver said is kept with its attempt (a refused connection said nothing).
    for (const a of one.delivery.attempt_log.slice(0, -1))
      expect(a.response_body).toBe(a.status_code === 503 ? "busy" : null);
    const errors = one.delivery.attempt_log
      .slice(0, -1)
      .map((a: any) => a.error)
      .join("\n");
    expect(errors).toMatch(/HTTP 503|ECONNREFUSED/);
    expect(((await (await t.api("/api/v1/webhook-deliveries?status=pending")).json()) as any).pagination.total).toBe(0);
  });

  it("an attempt keeps the first 2 KB of a long answer, and no more", async () => {
    const rx = await receiver().up();
    rx.mode = "big";
    const { t, assistantId } = await engineWithAssistant(rx, { events: ["end-of-call-report"] });
    runCall(t, assistantId, 8);
    await waitFor(() => attemptsIn(t) >= 1);
    const list = (await (await t.api("/api/v1/webhook-deliveries?limit=5")).json()) as any;
    const one = (await (await t.api(`/api/v1/webhook-deliveries/${list.deliveries[0].id}`)).json()) as any;
    const first = one.delivery.attempt_log[0];
    expect(first).toMatchObject({ status_code: 500, error: "receiver answered HTTP 500" });
    expect(first.response_body).toHaveLength(2048);
    expect(first.response_body.startsWith("stack trace line\nstack trace line\n")).toBe(true);
  });

  it("redeliver sends a delivery again with the same id; unknown and malformed ids are 404 and 400", async () => {
    const rx = await receiver().up();
    const { t, assistantId } = await engineWithAssistant(rx, { events: ["end-of-call-report"] });
    runCall(t, assistantId, 7);
    await waitFor(() => rx.received.length === 1);
    const id = String(rx.received[0].headers["x-webhook-delivery"]);
    const res = await t.api(`/api/v1/webhook-deliveries/${id}/redeliver`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).delivery).toMatchObject({ id, status: "pending" });
    await waitFor(() => rx.received.length === 2);
    expect(rx.received[1].headers["x-webhook-delivery"]).toBe(id);
    expect(rx.received[1].raw).toBe(rx.received[0].raw);
    await waitFor(() => t.engine.webhooks.getDelivery(id)?.status === "delivered");
    const after = ((await (await t.api(`/api/v1/webhook-deliveries/${id}`)).json()) as any).delivery;
    expect(after).toMatchObject({ status: "delivered", attempts: 2 });
    expect(after.attempt_log.map((a: any) => a.status_code)).toEqual([200, 200]);
    expect((await t.api("/api/v1/webhook-deliveries/7d0c7b1e-1111-4a9e-9c11-5f7a2e8d6b43")).status).toBe(404);
    expect(
      (await t.api("/api/v1/webhook-deliveries/7d0c7b1e-1111-4a9e-9c11-5f7a2e8d6b43/redeliver", { method: "POST" }))
        .status,
    ).toBe(404);
    expect((await t.api("/api/v1/webhook-deliveries/not-a-uuid")).status).toBe(400);
    expect((await t.api("/api/v1/webhook-deliveries?status=lost")).status).toBe(400);
  });

  it("events queued while the receiver is down survive an engine restart and arrive exactly once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "voicedock-wh-restart-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const rx = await receiver().reservePort();
    const first = await engineWithAssistant(rx, { dataDir });
    const calls = [runCall(first.t, first.assistantId, 20), runCall(first.t, first.assistantId, 21)];
    await waitFor(() => attemptsIn(first.t) >= 2);
    await first.t.stop({ keepData: true });
    engines = engines.filter((e) => e !== first.t);
    expect(rx.received.length).toBe(0);

    const second = await startTestEngine({ dataDir, webhookRetry: FAST_RETRY });
    engines.push(second);
    await rx.up();
    await waitFor(() => rx.received.length >= 6);
    await sleep(500);
    const counts = rx.byDelivery();
    expect(counts.size).toBe(6);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(rx.received.every((r) => r.verified && r.fresh)).toBe(true);
    for (const id of calls) expect(rx.forCall(id)).toEqual(IN_ORDER);
  });

  it("an attempt cut short by a stop is not left in flight: the next start sends it again with the same delivery id", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "voicedock-wh-inflight-"));
    const rx = await receiver().up();
    rx.mode = "hang";
    const store = new Store({ dataDir });
    cleanups.push(() => {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const body = JSON.stringify({
      message: { type: "status-update", call: { id: "call-x", type: "web_call", status: "in-progress" } },
    });

    const one = new WebhookService({ store, bus: new EventBus(), retry: FAST_RETRY, stopGraceMs: 100 });
    one.start();
    const id = store.tx(() =>
      one.enqueue({ callId: "call-x", event: "status-update", url: rx.url, body, secretEnc: store.box.seal(SECRET) }),
    );
    await waitFor(() => rx.hits === 1);
    const stopped = Date.now();
    await one.stop();
    expect(Date.now() - stopped).toBeLessThan(2000);
    expect(one.getDelivery(id)).toMatchObject({ status: "pending", attempts: 0 });

    rx.mode = "ok";
    const two = new WebhookService({ store, bus: new EventBus(), retry: FAST_RETRY });
    two.start();
    try {
      await waitFor(() => rx.received.length === 1);
      expect(rx.received[0].headers["x-webhook-delivery"]).toBe(id);
      expect(rx.received[0].raw).toBe(body);
      expect(rx.received[0].verified).toBe(true);
      await waitFor(() => two.getDelivery(id)?.status === "delivered");
    } finally {
      await two.stop();
    }
  });

  it("a failing receiver never delays the API or a call's state changes", async () => {
    const rx = await receiver().up();
    rx.mode = "hang";
    const { t, assistantId } = await engineWithAssistant(rx);
    for (let i = 0; i < 8; i++) runCall(t, assistantId, 30 + i);
    await waitFor(() => rx.hits >= 4); // every dispatcher slot is now stuck on a receiver that never answers

    const timings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const res = await t.api(i % 2 ? "/api/v1/calls?limit=5" : "/api/v1/webhook-deliveries?status=pending");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      timings.push(performance.now() - started);
    }
    const startedCall = performance.now();
    runCall(t, assistantId, 40);
    const callMs = performance.now() - startedCall;
    expect(Math.max(...timings)).toBeLessThan(250);
    expect(callMs).toBeLessThan(250);

    // And with 503s the same holds while retries run.
    rx.mode = "503";
    await waitFor(() => rx.hits >= 12);
    const started = performance.now();
    expect((await t.api("/api/v1/calls?limit=5")).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
  });
});
