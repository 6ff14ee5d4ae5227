// Over 300 lines because it is the outbox's dispatcher: enqueueing each event kind, the delivery loop with its
// backoff and redelivery, and the views the API lists; the SQL is in store/webhook-outbox.ts.
import type { Store } from "../store/index.js";
import type { CallRecord } from "../store/calls.js";
import type {
  DeliveryDetail,
  DeliveryFilter,
  DeliveryRow,
  DeliveryStatus,
  DeliveryView,
} from "../store/webhook-outbox.js";
import type { EventBus } from "../events/bus.js";
import { nowIso, uuid } from "../util/ids.js";
import {
  endOfCallReport,
  statusUpdate,
  type PhoneNumberInfo,
  type ResolvedAssistant,
  type WebhookEvent,
} from "./payloads.js";
import { webhookHeaders } from "./headers.js";
import { backoffMs, describeFetchError, retryOptions, settledWithin, type WebhookRetryOptions } from "./retry.js";

// The API and the config import these from here; the outbox's SQL and row types live in store/.
export {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type DeliveryView,
  type DeliveryAttempt,
  type DeliveryDetail,
} from "../store/webhook-outbox.js";
export { DEFAULT_RETRY, type WebhookRetryOptions } from "./retry.js";

export interface WebhookServiceOptions {
  store: Store;
  bus: EventBus;
  /** Tests may inject a fetch; the default is Node's. */
  fetchImpl?: typeof fetch;
  retry?: Partial<WebhookRetryOptions>;
  /** Safety-net poll for due rows; enqueues and finished attempts wake the loop at once anyway. */
  pollIntervalMs?: number;
  /** How long stop() waits for attempts in flight before aborting them (they are retried on the next start). */
  stopGraceMs?: number;
}

interface AttemptResult {
  statusCode: number | null;
  responseBody?: string | null;
  error: string | null;
  durationMs: number;
  final: boolean;
}

const MAX_IN_FLIGHT = 4;
/** How much of a receiver's answer an attempt keeps. */
const RESPONSE_KEPT = 2048;

/** The first RESPONSE_KEPT bytes of a response as text (null when empty or unreadable); the rest is not read. */
async function responseStart(res: Response, signal: AbortSignal): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_KEPT && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } catch {
    // A body cut off or timed out: what arrived is still worth showing.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(parts).subarray(0, RESPONSE_KEPT).toString("utf8");
  return text.length ? text : null;
}

/**
 * Webhooks through a persistent outbox (webhooks.md; retries are our addition, docs/decisions.md).
 *
 * - Enqueueing is one INSERT inside the caller's transaction: a status change and the webhook that reports
 *   it are committed together or not at all. The body is serialized once and stored; those exact bytes
 *   are signed and sent on every attempt.
 * - A dispatcher on unref'd timers posts due rows, at most 4 at a time, and never more than one per call:
 *   a call's events leave in the order they were written (status in-progress → ended → report).
 * - Each delivery keeps one id (`X-Webhook-Delivery`) across retries, redeliveries and restarts, so
 *   receivers can drop duplicates. Delivery is at-least-once: a crash after the receiver answered but
 *   before the result was written sends the same delivery id again.
 * - "In flight" exists only in memory: a row stays `pending` until an attempt's result is written, so
 *   whatever a stop or crash interrupts is simply due again on the next start.
 * - Nothing here blocks a request or a call; no body or secret is ever logged.
 */
export class WebhookService {
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly fetchImpl: typeof fetch;
  private readonly retry: WebhookRetryOptions;
  private readonly pollIntervalMs: number;
  private readonly stopGraceMs: number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightCalls = new Set<string>();
  private abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private pokeScheduled = false;

  constructor(opts: WebhookServiceOptions) {
    this.store = opts.store;
    this.bus = opts.bus;
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.retry = retryOptions(opts.retry);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.stopGraceMs = opts.stopGraceMs ?? 5000;
  }

  private get outbox() {
    return this.store.webhookOutbox;
  }

  // ── enqueueing (synchronous, inside the caller's transaction) ───────────────────────────────

  /** Writes one delivery (due now) and returns its id. `body` is the exact string that will be signed and sent. */
  enqueue(row: {
    callId: string | null;
    event: WebhookEvent;
    url: string;
    body: string;
    secretEnc: string | null;
  }): string {
    const id = uuid();
    this.outbox.insert({ id, ...row, now: nowIso() });
    this.poke();
    return id;
  }

  /** `status-update` for in-progress, ended and failed (sent as `ended-with-error`); other statuses send nothing. */
  enqueueStatusUpdate(call: CallRecord): void {
    if (call.status !== "in-progress" && call.status !== "ended" && call.status !== "failed") return;
    this.enqueueForCall(call, "status-update", statusUpdate);
  }

  enqueueEndOfCallReport(call: CallRecord): void {
    this.enqueueForCall(call, "end-of-call-report", endOfCallReport);
  }

  /**
   * Sends when the call's resolved assistant has a `webhook_url` and subscribes to the event.
   * `webhook_events` null means every call event (nothing was chosen, so nothing is held back;
   * `assistant-request` is the exception and needs to be listed, as documented); `[]` means none.
   */
  private enqueueForCall(
    call: CallRecord,
    event: WebhookEvent,
    build: (call: CallRecord, number: PhoneNumberInfo, assistant: ResolvedAssistant | null) => unknown,
  ): void {
    const assistant = this.store.calls.assistantConfig(call.id);
    const url = assistant?.webhook_url;
    if (typeof url !== "string" || !url) return;
    if (!subscribed(assistant!.webhook_events, event)) return;
    const body = JSON.stringify(build(call, this.numberInfo(call), assistant));
    const secretEnc =
      typeof assistant!.webhook_secret_enc === "string" && assistant!.webhook_secret_enc
        ? assistant!.webhook_secret_enc
        : null;
    this.enqueue({ callId: call.id, event, url, body, secretEnc });
  }

  /** `message.phone_number` for a call: the number row, or what the call row still knows. */
  numberInfo(call: CallRecord): PhoneNumberInfo {
    if (call.direction === "web") return { id: null, number: null, name: null };
    const row = call.number_id ? this.outbox.number(call.number_id) : undefined;
    if (row) return { id: row.id, number: row.phone_number, name: row.name };
    // The number was deleted since, or the call went out without one: what the call row still knows.
    return { id: call.number_id, number: call.assistant_phone ?? call.phone_number, name: null };
  }

  // ── dispatching ─────────────────────────────────────────────────────────────────────────────

  /** Starts the dispatcher; rows left pending by an earlier run (or a crash) are due at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.schedule(0);
  }

  /**
   * Stops claiming work and waits (at most stopGraceMs) for attempts in flight; what is still running then
   * is aborted without recording a result, so it stays pending and goes out again on the next start.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight.size && !(await settledWithin([...this.inFlight.values()], this.stopGraceMs))) {
      this.abort.abort();
      await settledWithin([...this.inFlight.values()], 1000);
    }
  }

  /** Wakes the loop after the current synchronous work (the caller's transaction) has committed. */
  private poke(): void {
    if (!this.running || this.pokeScheduled) return;
    this.pokeScheduled = true;
    setImmediate(() => {
      this.pokeScheduled = false;
      this.tick();
    });
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.tick();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }

  private tick(): void {
    if (!this.running || !this.store.db.open) return;
    try {
      const now = nowIso();
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free > 0) {
        // Rows already in flight are still pending and due: ask for enough to see past them.
        const due = this.outbox.due(now, free + this.inFlight.size);
        for (const row of due) {
          if (this.inFlight.size >= MAX_IN_FLIGHT) break;
          if (this.inFlight.has(row.id) || (row.call_id && this.inFlightCalls.has(row.call_id))) continue;
          this.launch(row);
        }
      }
      // Sleep until the next retry falls due, or the poll interval, whichever comes first.
      const next = this.outbox.nextDueAt(now);
      this.schedule(next ? Math.min(this.pollIntervalMs, Date.parse(next) - Date.now()) : this.pollIntervalMs);
    } catch {
      // A locked or closing database: try again on the next poll rather than crash the engine.
      this.schedule(this.pollIntervalMs);
    }
  }

  private launch(row: DeliveryRow): void {
    if (row.call_id) this.inFlightCalls.add(row.call_id);
    const p = this.attempt(row)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(row.id);
        if (row.call_id) this.inFlightCalls.delete(row.call_id);
        this.poke();
      });
    this.inFlight.set(row.id, p);
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    let secret: string | null = null;
    if (row.secret_enc) {
      try {
        secret = this.store.box.open(row.secret_enc);
      } catch {
        this.finish(row, {
          statusCode: null,
          error:
            "The webhook secret could not be decrypted (was secret.key in the data dir replaced?): set the assistant's webhook_secret again",
          durationMs: 0,
          final: true,
        });
        return;
      }
    }
    const headers = webhookHeaders({ event: row.event, deliveryId: row.id, rawBody: row.body, secret });
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let responseBody: string | null = null;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.retry.timeoutMs), this.abort.signal]);
      const res = await this.fetchImpl(row.url, {
        method: "POST",
        headers,
        body: row.body,
        redirect: "manual",
        signal,
      });
      statusCode = res.status;
      // The answer means nothing to delivery (webhooks.md §8, §9); its start is kept for the person reading the
      // log, read within the same deadline and never more than RESPONSE_KEPT bytes of it.
      responseBody = await responseStart(res, signal);
      if (res.status < 200 || res.status >= 300) error = `receiver answered HTTP ${res.status}`;
    } catch (err) {
      if (this.abort.signal.aborted) return; // stopping: no result, the row stays pending for the next start
      error = describeFetchError(err, this.retry.timeoutMs);
    }
    this.finish(row, {
      statusCode,
      error,
      responseBody,
      durationMs: Math.round(performance.now() - started),
      final: false,
    });
  }

  private finish(row: DeliveryRow, r: AttemptResult): void {
    if (!this.store.db.open) return;
    const attempts = row.attempts + 1;
    const now = nowIso();
    let status: DeliveryStatus = "pending";
    let next = now;
    if (r.error === null) status = "delivered";
    else if (r.final || attempts >= this.retry.maxAttempts) status = "failed";
    else next = new Date(Date.now() + backoffMs(this.retry, attempts)).toISOString();
    this.outbox.recordOutcome(row.id, {
      attempts,
      status,
      nextAttemptAt: next,
      statusCode: r.statusCode,
      error: r.error,
      durationMs: r.durationMs,
      at: now,
      responseBody: r.responseBody ?? null,
    });
    this.bus.publish({
      type: "webhook.delivery",
      delivery_id: row.id,
      call_id: row.call_id,
      event: row.event,
      status,
      attempts,
      status_code: r.statusCode,
      error: r.error,
    });
  }

  // ── reading and redelivery (for the API) ────────────────────────────────────────────────────

  /** Newest first. */
  listDeliveries(f: DeliveryFilter): {
    deliveries: DeliveryView[];
    total: number;
  } {
    return this.outbox.list(f);
  }

  /** One delivery with the payload it sends (no secret is ever in it) and every attempt so far. */
  getDelivery(id: string): DeliveryDetail | undefined {
    return this.outbox.get(id);
  }

  /**
   * Makes a delivery due now again, whatever its state, keeping its id (receivers may de-duplicate it).
   * Its attempt count carries on: a delivery that had used up its retries gets one more attempt, and goes
   * back to `failed` if that fails too. Returns false when there is no such delivery.
   */
  redeliver(id: string): boolean {
    const changed = this.outbox.makeDue(id, nowIso());
    if (changed) this.poke();
    return changed;
  }
}

function subscribed(events: unknown, event: WebhookEvent): boolean {
  if (events === null || events === undefined) return event !== "assistant-request";
  return Array.isArray(events) && events.includes(event);
}
