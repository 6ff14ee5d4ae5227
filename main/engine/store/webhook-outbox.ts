import type Database from "better-sqlite3";
import type { Db } from "./db.js";

export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One webhook_outbox row as stored: `body` is the exact string that is signed and sent on every attempt. */
export interface DeliveryRow {
  id: string;
  call_id: string | null;
  event: string;
  url: string;
  body: string;
  secret_enc: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_status_code: number | null;
  created_at: string;
  delivered_at: string | null;
}

/** A delivery as the API shows it: never the sealed secret; the body only as a parsed `payload` in detail. */
export type DeliveryView = Omit<DeliveryRow, "body" | "secret_enc">;
export interface DeliveryAttempt {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
  /** The first bytes of the receiver's answer (null: no answer, or an empty one). */
  response_body: string | null;
}
export type DeliveryDetail = DeliveryView & { payload: unknown; attempt_log: DeliveryAttempt[] };

/** What one attempt ended in, as the dispatcher decided it. */
export interface DeliveryOutcome {
  attempts: number;
  status: DeliveryStatus;
  nextAttemptAt: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  at: string;
  responseBody: string | null;
}

/** Filters of the delivery log; times are ISO 8601 strings compared with `created_at`. */
export interface DeliveryFilter {
  callId?: string;
  status?: DeliveryStatus | string;
  event?: string;
  assistantId?: string;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

const VIEW_COLUMNS =
  "id, call_id, event, url, status, attempts, next_attempt_at, last_error, last_status_code, created_at, delivered_at";

/**
 * The webhook outbox (webhook_outbox, webhook_attempts). Delivery logic lives in webhooks/; this file is its
 * SQL. A delivery stays `pending` until an attempt's result is written: "in flight" is not a stored state.
 */
export class WebhookOutboxRepo {
  // Prepared once: enqueue runs inside every call status transaction, and the dispatcher polls every second.
  private readonly sql: {
    insert: Database.Statement;
    number: Database.Statement;
    due: Database.Statement;
    nextDue: Database.Statement;
    attempt: Database.Statement;
    result: Database.Statement;
  };

  constructor(private readonly db: Db) {
    this.sql = {
      insert:
        db.prepare(`INSERT INTO webhook_outbox (id, call_id, event, url, body, secret_enc, status, attempts, next_attempt_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`),
      number: db.prepare("SELECT id, phone_number, name FROM numbers WHERE id = ?"),
      // Only the oldest pending delivery of each call is eligible, so a call's events go out in order.
      due: db.prepare(`SELECT * FROM webhook_outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ?
        AND NOT EXISTS (SELECT 1 FROM webhook_outbox e WHERE e.call_id = o.call_id AND e.status = 'pending' AND e.rowid < o.rowid)
        ORDER BY o.next_attempt_at, o.rowid LIMIT ?`),
      nextDue: db
        .prepare("SELECT MIN(next_attempt_at) FROM webhook_outbox WHERE status = 'pending' AND next_attempt_at > ?")
        .pluck(),
      attempt: db.prepare(
        "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, at, response_body) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      result:
        db.prepare(`UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ?,
        delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?`),
    };
  }

  /** One pending delivery, due at `now`. Runs inside the caller's transaction when there is one. */
  insert(row: {
    id: string;
    callId: string | null;
    event: string;
    url: string;
    body: string;
    secretEnc: string | null;
    now: string;
  }): void {
    this.sql.insert.run(row.id, row.callId, row.event, row.url, row.body, row.secretEnc, row.now, row.now);
  }

  /** The number row a payload's `phone_number` names, or undefined once it was deleted. */
  number(id: string): { id: string; phone_number: string; name: string | null } | undefined {
    return this.sql.number.get(id) as { id: string; phone_number: string; name: string | null } | undefined;
  }

  /** Due rows, oldest first, at most one per call (the oldest pending of that call). */
  due(now: string, limit: number): DeliveryRow[] {
    return this.sql.due.all(now, limit) as DeliveryRow[];
  }

  /** When the next pending row that is not yet due falls due, or null. */
  nextDueAt(now: string): string | null {
    return this.sql.nextDue.get(now) as string | null;
  }

  /** Logs the attempt and updates the delivery in one transaction. */
  recordOutcome(id: string, o: DeliveryOutcome): void {
    this.db.transaction(() => {
      this.sql.attempt.run(id, o.attempts, o.statusCode, o.error, o.durationMs, o.at, o.responseBody);
      this.sql.result.run(o.status, o.attempts, o.nextAttemptAt, o.error, o.statusCode, o.status, o.at, id);
    })();
  }

  /** Newest first. */
  list(f: DeliveryFilter): {
    deliveries: DeliveryView[];
    total: number;
  } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.event) {
      where.push("event = ?");
      params.push(f.event);
    }
    if (f.assistantId) {
      where.push("call_id IN (SELECT id FROM calls WHERE agent_id = ?)");
      params.push(f.assistantId);
    }
    if (f.since) {
      where.push("created_at >= ?");
      params.push(f.since);
    }
    if (f.until) {
      where.push("created_at <= ?");
      params.push(f.until);
    }
    if (f.callId) {
      where.push("call_id = ?");
      params.push(f.callId);
    }
    if (f.status) {
      where.push("status = ?");
      params.push(f.status);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = this.db
      .prepare(`SELECT COUNT(*) FROM webhook_outbox ${clause}`)
      .pluck()
      .get(...params) as number;
    const deliveries = this.db
      .prepare(
        `SELECT ${VIEW_COLUMNS} FROM webhook_outbox ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, f.limit, f.offset) as DeliveryView[];
    return { deliveries, total };
  }

  /** One delivery with the payload it sends (no secret is ever in it) and every attempt so far. */
  get(id: string): DeliveryDetail | undefined {
    const row = this.db.prepare(`SELECT ${VIEW_COLUMNS}, body FROM webhook_outbox WHERE id = ?`).get(id) as
      (DeliveryView & { body: string }) | undefined;
    if (!row) return undefined;
    const { body, ...view } = row;
    const attempt_log = this.db
      .prepare(
        "SELECT attempt, status_code, error, duration_ms, at, response_body FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt, id",
      )
      .all(id) as DeliveryAttempt[];
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      payload = null;
    }
    return { ...view, payload, attempt_log };
  }

  /** Makes a delivery pending and due at `now`, whatever its state; false when there is no such delivery. */
  makeDue(id: string, now: string): boolean {
    return (
      this.db.prepare("UPDATE webhook_outbox SET status = 'pending', next_attempt_at = ? WHERE id = ?").run(now, id)
        .changes > 0
    );
  }
}
