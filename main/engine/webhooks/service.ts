import type { Store } from "../store/index.js";
import type { CallRecord } from "../store/calls.js";
import type { EventBus } from "../events/bus.js";
import { nowIso, uuid } from "../util/ids.js";
import { endOfCallReport, statusUpdate, type PhoneNumberInfo, type WebhookEvent } from "./payloads.js";
import { signPayload } from "./sign.js";

export interface WebhookRetryOptions {
  /** First retry after this, doubling each attempt (with ±20 % jitter) up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many attempts a delivery is marked failed (it stays visible and can be redelivered). */
  maxAttempts: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: WebhookRetryOptions = { baseDelayMs: 1000, maxDelayMs: 5 * 60_000, maxAttempts: 12, timeoutMs: 10_000 };

export interface DeliveryRow {
  id: string;
  call_id: string | null;
  event: string;
  url: string;
  body: string;
  secret_enc: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_status_code: number | null;
  created_at: string;
  delivered_at: string | null;
}

export type DeliveryView = Omit<DeliveryRow, "body" | "secret_enc">;

const MAX_IN_FLIGHT = 4;
const VIEW_COLUMNS = "id, call_id, event, url, status, attempts, next_attempt_at, last_error, last_status_code, created_at, delivered_at";

/**
 * Webhooks through a persistent outbox: rows are written in the same transaction as the call change they
 * report, then a background dispatcher posts them, signed, with retries and backoff. Each delivery keeps
 * one id (`X-Webhook-Delivery`) across retries and restarts, so receivers can drop duplicates. Nothing here
 * ever blocks a request or a call: enqueueing is one INSERT, delivery runs on timers.
 */
export class WebhookService {
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly fetchImpl: typeof fetch;
  private readonly retry: WebhookRetryOptions;
  private readonly pollIntervalMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pokeScheduled = false;

  constructor(deps: { store: Store; bus: EventBus; fetchImpl?: typeof fetch; retry?: Partial<WebhookRetryOptions>; pollIntervalMs?: number }) {
    this.store = deps.store;
    this.bus = deps.bus;
    this.fetchImpl = deps.fetchImpl ?? fetch;
    this.retry = { ...DEFAULT_RETRY, ...deps.retry };
    this.pollIntervalMs = deps.pollIntervalMs ?? 1000;
  }

  // ── enqueueing (synchronous, inside the caller's transaction) ───────────────────────────────

  enqueue(row: { callId: string | null; event: WebhookEvent; url: string; body: string; secretEnc: string | null }): string {
    const id = uuid();
    const now = nowIso();
    this.store.db.prepare(`INSERT INTO webhook_outbox (id, call_id, event, url, body, secret_enc, status, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`).run(id, row.callId, row.event, row.url, row.body, row.secretEnc, now, now);
    this.poke();
    return id;
  }

  enqueueStatusUpdate(call: CallRecord): void {
    if (call.status !== "in-progress" && call.status !== "ended" && call.status !== "failed") return;
    this.enqueueForCall(call, "status-update", statusUpdate);
  }

  enqueueEndOfCallReport(call: CallRecord): void {
    this.enqueueForCall(call, "end-of-call-report", endOfCallReport);
  }

  /**
   * `webhook_events` null means every call event (nothing was chosen, so nothing is held back);
   * an empty list means none.
   */
  private enqueueForCall(call: CallRecord, event: WebhookEvent,
    build: (call: CallRecord, number: PhoneNumberInfo, assistant: Record<string, unknown> | null) => unknown): void {
    const assistant = this.store.calls.assistantConfig(call.id);
    const url = assistant?.webhook_url as string | null | undefined;
    if (!url) return;
    const events = assistant?.webhook_events as string[] | null | undefined;
    if (Array.isArray(events) && !events.includes(event)) return;
    const body = JSON.stringify(build(call, this.numberInfo(call.number_id), assistant));
    this.enqueue({ callId: call.id, event, url, body, secretEnc: (assistant?.webhook_secret_enc as string | null) ?? null });
  }

  private numberInfo(numberId: string | null): PhoneNumberInfo {
    if (!numberId) return { id: null, number: null, name: null };
    const row = this.store.db.prepare("SELECT id, phone_number, name FROM numbers WHERE id = ?").get(numberId) as { id: string; phone_number: string; name: string | null } | undefined;
    return row ? { id: row.id, number: row.phone_number, name: row.name } : { id: numberId, number: null, name: null };
  }

  // ── dispatching ─────────────────────────────────────────────────────────────────────────────

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops claiming work and waits (at most ~5 s) for deliveries in flight; unsent rows stay for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private poke(): void {
    if (!this.running || this.pokeScheduled) return;
    this.pokeScheduled = true;
    // After the current transaction commits: the row must be visible before we look for it.
    setImmediate(() => { this.pokeScheduled = false; this.tick(); });
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.tick(); }, delayMs);
    this.timer.unref();
  }

  private tick(): void {
    if (!this.running || !this.store.db.open) return;
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free > 0) {
      // Only the oldest pending delivery of each call is eligible, so a call's events arrive in order.
      const due = this.store.db.prepare(`SELECT * FROM webhook_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?
          AND NOT EXISTS (SELECT 1 FROM webhook_outbox e WHERE e.call_id = o.call_id AND e.status = 'pending' AND e.rowid < o.rowid)
          ORDER BY o.next_attempt_at, o.rowid LIMIT ?`).all(nowIso(), free + this.inFlight.size) as DeliveryRow[];
      for (const row of due) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) break;
        if (this.inFlight.has(row.id)) continue;
        const p = this.attempt(row).finally(() => { this.inFlight.delete(row.id); this.poke(); });
        this.inFlight.set(row.id, p);
      }
    }
    this.schedule(this.pollIntervalMs);
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "HMS-Sovereign/1.0",
      "user-assistant": "HMS-Sovereign/1.0",
      "x-webhook-event": row.event,
      "x-webhook-timestamp": String(timestamp),
      "x-webhook-delivery": row.id,
    };
    if (row.secret_enc) {
      try {
        headers["x-webhook-signature"] = signPayload(this.store.box.open(row.secret_enc), timestamp, row.body);
      } catch {
        this.finish(row, { ok: false, statusCode: null, error: "The webhook secret could not be decrypted (was secret.key replaced?)", durationMs: 0, final: true });
        return;
      }
    }
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.fetchImpl(row.url, { method: "POST", headers, body: row.body, redirect: "manual", signal: AbortSignal.timeout(this.retry.timeoutMs) });
      statusCode = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `receiver answered ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      error = e.name === "TimeoutError" ? `no answer within ${this.retry.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    this.finish(row, { ok: error === null, statusCode, error, durationMs: Math.round(performance.now() - started), final: false });
  }

  private finish(row: DeliveryRow, r: { ok: boolean; statusCode: number | null; error: string | null; durationMs: number; final: boolean }): void {
    if (!this.store.db.open) return;
    const attempts = row.attempts + 1;
    const now = nowIso();
    let status: DeliveryRow["status"] = "pending";
    let next = now;
    if (r.ok) status = "delivered";
    else if (r.final || attempts >= this.retry.maxAttempts) status = "failed";
    else {
      const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
      next = new Date(Date.now() + delay).toISOString();
    }
    this.store.tx(() => {
      this.store.db.prepare("INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(row.id, attempts, r.statusCode, r.error, r.durationMs, now);
      this.store.db.prepare(`UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ?,
        delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?`)
        .run(status, attempts, next, r.error, r.statusCode, status, now, row.id);
    });
    this.bus.publish({ type: "webhook.delivery", delivery_id: row.id, call_id: row.call_id, event: row.event, status, attempts, status_code: r.statusCode, error: r.error });
  }

  // ── reading (for the API) ───────────────────────────────────────────────────────────────────

  listDeliveries(f: { callId?: string; status?: string; limit: number; offset: number }): { deliveries: DeliveryView[]; total: number } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.callId) { where.push("call_id = ?"); params.push(f.callId); }
    if (f.status) { where.push("status = ?"); params.push(f.status); }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = this.store.db.prepare(`SELECT COUNT(*) FROM webhook_outbox ${clause}`).pluck().get(...params) as number;
    const deliveries = this.store.db.prepare(`SELECT ${VIEW_COLUMNS} FROM webhook_outbox ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...params, f.limit, f.offset) as DeliveryView[];
    return { deliveries, total };
  }

  getDelivery(id: string): (DeliveryView & { payload: unknown; attempt_log: unknown[] }) | undefined {
    const row = this.store.db.prepare(`SELECT ${VIEW_COLUMNS}, body FROM webhook_outbox WHERE id = ?`).get(id) as (DeliveryView & { body: string }) | undefined;
    if (!row) return undefined;
    const { body, ...view } = row;
    const attempt_log = this.store.db.prepare("SELECT attempt, status_code, error, duration_ms, at FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt").all(id);
    return { ...view, payload: JSON.parse(body), attempt_log };
  }

  /** Sends a delivery again (now), whatever its state; it keeps its id. */
  redeliver(id: string): boolean {
    const changed = this.store.db.prepare("UPDATE webhook_outbox SET status = 'pending', next_attempt_at = ? WHERE id = ?").run(nowIso(), id).changes > 0;
    if (changed) this.poke();
    return changed;
  }
}
