// Over 300 lines because it is the one repository of the calls tables (rows, messages, events, the page query
// with its precomputed JSON, and the write queue's flush points): what reads a call must see what was queued.
import type Database from "better-sqlite3";
import type { Db } from "./db.js";
import { nowIso } from "../util/ids.js";
import type { SecretBox } from "./secret-box.js";
import { sealCredentials } from "./credentials.js";
import type { FreeJson } from "../domain/schema.js";
import type { ResolvedAssistant } from "../domain/assistant.js";
import { CallWriteQueue } from "./call-writes.js";
import { CALL_JSON } from "./migrations/call-json-sql.js";
import { callSearchQuery, containsPattern } from "./call-search.js";

import {
  CALL_STATUSES,
  MISSED_END_REASONS,
  type CallDirection,
  type CallMessage,
  type CallRecord,
  type CallStatus,
} from "../domain/call.js";

export { CALL_STATUSES };
export type { CallDirection, CallMessage, CallRecord, CallStatus };

/** A call row as the engine first writes it; `assistant_config` is the resolved assistant the call runs. */
export type NewCall = Pick<CallRecord, "id" | "status" | "direction"> &
  Partial<
    Pick<
      CallRecord,
      | "caller_phone"
      | "assistant_phone"
      | "agent_id"
      | "number_id"
      | "agent_name"
      | "business_name"
      | "phone_number"
      | "room_name"
      | "destination"
      | "metadata"
      | "created_at"
    >
  > & { assistant_config?: FreeJson | null };

export type CallPatch = Partial<
  Pick<
    CallRecord,
    | "status"
    | "end_reason"
    | "error"
    | "ringing_at"
    | "started_at"
    | "ended_at"
    | "duration_seconds"
    | "summary"
    | "analysis_result"
    | "recording_url"
    | "metrics"
    | "caller_phone"
    | "assistant_phone"
  >
>;

export interface CallFilter {
  status?: string;
  start_date?: string;
  end_date?: string;
  /** Search text (local addition): numbers, number names, assistant name, transcript words. */
  q?: string;
  /** Only missed calls (local addition; domain/call.ts `isMissedCall`). */
  missed?: boolean;
  limit: number;
  offset: number;
}

const JSON_COLUMNS = new Set(["analysis_result", "metrics", "metadata", "assistant_config"]);
const PATCHABLE = new Set([
  "status",
  "end_reason",
  "error",
  "ringing_at",
  "started_at",
  "ended_at",
  "duration_seconds",
  "summary",
  "analysis_result",
  "recording_url",
  "metrics",
  "caller_phone",
  "assistant_phone",
]);

/** Every Call column but the resolved assistant (large, internal): list pages never read it. */
const COLUMNS = [
  "id",
  "status",
  "direction",
  "caller_phone",
  "assistant_phone",
  "agent_id",
  "number_id",
  "agent_name",
  "business_name",
  "phone_number",
  "end_reason",
  "error",
  "ringing_at",
  "started_at",
  "ended_at",
  "duration_seconds",
  "summary",
  "analysis_result",
  "recording_url",
  "room_name",
  "destination",
  "metadata",
  "metrics",
  "created_at",
  "updated_at",
] as const;
const SELECT = `SELECT ${COLUMNS.join(", ")} FROM calls`;
/** A row of these columns: the JSON ones (analysis_result, metadata, metrics) as text. */
type Row = {
  [C in (typeof COLUMNS)[number]]: C extends "analysis_result" | "metadata" | "metrics"
    ? string | null
    : C extends keyof CallRecord
      ? CallRecord[C]
      : never;
};

type PageParams = {
  limit: number;
  offset: number;
  status?: string;
  start?: string;
  end?: string;
  match?: string;
};

export class CallRepo {
  /** Prepared once per filter shape: preparing costs about as much as running the page query. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly messagesByIds: Database.Statement<[string]>;
  private readonly insertMessage: Database.Statement<[string, string, string, string]>;
  private readonly insertEvent: Database.Statement<[string, string, string, string]>;
  /**
   * A live call's transcript lines, events and metrics merges wait here and land in batches (call-writes.ts).
   * Every other method of this repository flushes it first, so whoever reads or writes a call through
   * here sees them; Store.tx flushes it before a transaction opens.
   */
  readonly writes: CallWriteQueue;

  /** The box seals credentials inside a call's resolved assistant (transient tools, assistant-request answers). */
  constructor(
    private readonly db: Db,
    private readonly box?: SecretBox,
  ) {
    this.messagesByIds = db.prepare(
      "SELECT call_id, role, content, at FROM call_messages WHERE call_id IN (SELECT value FROM json_each(?)) ORDER BY id",
    );
    this.insertMessage = db.prepare("INSERT INTO call_messages (call_id, role, content, at) VALUES (?, ?, ?, ?)");
    this.insertEvent = db.prepare("INSERT INTO call_events (call_id, type, data, at) VALUES (?, ?, ?, ?)");
    this.writes = new CallWriteQueue(db);
  }

  /** Runs a hot-path write now when inside a transaction (it belongs to that unit of work), else queues it. */
  private later(callId: string, write: () => void): void {
    if (this.db.inTransaction) write();
    else this.writes.push(callId, write);
  }

  private cached(sql: string, raw = false): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (raw) st.raw(true);
      this.statements.set(sql, st);
    }
    return st;
  }

  private fromRaw(values: unknown[]): Row {
    return Object.fromEntries(COLUMNS.map((column, i) => [column, values[i]])) as Row;
  }

  private toRecord(row: Row, messages: CallMessage[]): CallRecord {
    const parse = (v: string | null): FreeJson | null => (typeof v === "string" ? JSON.parse(v) : null);
    return {
      id: row.id,
      status: row.status,
      direction: row.direction,
      caller_phone: row.caller_phone ?? null,
      assistant_phone: row.assistant_phone ?? null,
      agent_phone: row.assistant_phone ?? null,
      agent_id: row.agent_id ?? null,
      number_id: row.number_id ?? null,
      agent_name: row.agent_name ?? null,
      assistant_name: row.agent_name ?? null,
      business_name: row.business_name ?? null,
      phone_number: row.phone_number ?? null,
      end_reason: row.end_reason ?? null,
      error: row.error ?? null,
      ringing_at: row.ringing_at ?? null,
      started_at: row.started_at ?? null,
      ended_at: row.ended_at ?? null,
      duration_seconds: row.duration_seconds ?? null,
      summary: row.summary ?? null,
      analysis_result: parse(row.analysis_result),
      messages,
      room_name: row.room_name ?? null,
      recording_url: row.recording_url ?? null,
      destination: row.destination ?? null,
      metadata: parse(row.metadata),
      metrics: parse(row.metrics),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  create(call: NewCall): CallRecord {
    const now = call.created_at ?? nowIso();
    this.db
      .prepare(
        `INSERT INTO calls (id, status, direction, caller_phone, assistant_phone, agent_id, number_id, agent_name,
      business_name, phone_number, room_name, destination, assistant_config, metadata, created_at, updated_at)
      VALUES (@id, @status, @direction, @caller_phone, @assistant_phone, @agent_id, @number_id, @agent_name,
      @business_name, @phone_number, @room_name, @destination, @assistant_config, @metadata, @created_at, @updated_at)`,
      )
      .run({
        caller_phone: null,
        assistant_phone: null,
        agent_id: null,
        number_id: null,
        agent_name: null,
        business_name: null,
        phone_number: null,
        room_name: null,
        destination: null,
        ...call,
        assistant_config: call.assistant_config ? JSON.stringify(this.sealConfig(call.assistant_config)) : null,
        metadata: call.metadata ? JSON.stringify(call.metadata) : null,
        created_at: now,
        updated_at: now,
      });
    return this.get(call.id)!;
  }

  get(id: string): CallRecord | undefined {
    this.writes.settle();
    const row = this.cached(`${SELECT} WHERE id = ?`).get(id) as Row | undefined;
    return row ? this.toRecord(row, this.messagesOf([id]).get(id) ?? []) : undefined;
  }

  private sealConfig(config: FreeJson): FreeJson {
    return this.box ? sealCredentials(config, this.box) : config;
  }

  /**
   * The resolved assistant configuration stored with the call (credentials sealed: openCredential()). Only
   * the engine writes it, from an assistant the rules accepted (assistants/resolve.ts), so it is read back
   * with that type.
   */
  assistantConfig(id: string): ResolvedAssistant | null {
    const v = this.db.prepare("SELECT assistant_config FROM calls WHERE id = ?").pluck().get(id) as
      string | null | undefined;
    return v ? JSON.parse(v) : null;
  }

  /** Replaces the resolved assistant (the `assistant-request` webhook chose another one or changed it). */
  setAssistantConfig(id: string, config: FreeJson, agent?: { id: string; name: string }): void {
    this.db
      .prepare(
        "UPDATE calls SET assistant_config = ?, agent_id = COALESCE(?, agent_id), agent_name = COALESCE(?, agent_name), updated_at = ? WHERE id = ?",
      )
      .run(JSON.stringify(this.sealConfig(config)), agent?.id ?? null, agent?.name ?? null, nowIso(), id);
  }

  update(id: string, patch: CallPatch): CallRecord | undefined {
    this.writes.flush();
    const sets: string[] = [];
    const values: Record<string, string | number | null> = { id, updated_at: nowIso() };
    for (const [k, v] of Object.entries(patch)) {
      if (!PATCHABLE.has(k) || v === undefined) continue;
      sets.push(`${k} = @${k}`);
      values[k] = JSON_COLUMNS.has(k) && v !== null ? JSON.stringify(v) : (v as string | number | null);
    }
    if (sets.length)
      this.db.prepare(`UPDATE calls SET ${sets.join(", ")}, updated_at = @updated_at WHERE id = @id`).run(values);
    return this.get(id);
  }

  /** Queued (see `writes`): the line is on disk within FLUSH_DELAY_MS, or before anything reads the call. */
  addMessage(callId: string, message: CallMessage): void {
    const { role, content, at } = message;
    this.later(callId, () => {
      this.insertMessage.run(callId, role, content, at);
    });
  }

  /** Queued like addMessage; the time and data are those of the moment it was called. */
  addEvent(callId: string, type: string, data: FreeJson = {}): void {
    const json = JSON.stringify(data);
    const at = nowIso();
    this.later(callId, () => {
      this.insertEvent.run(callId, type, json, at);
    });
  }

  /** Adds figures to the call's `metrics`, keeping what is there; queued like addMessage. */
  mergeMetrics(callId: string, metrics: Record<string, unknown>): void {
    const at = nowIso();
    this.later(callId, () => {
      const old = this.cached("SELECT metrics FROM calls WHERE id = ?").pluck().get(callId) as
        string | null | undefined;
      if (old === undefined) return;
      this.cached("UPDATE calls SET metrics = ?, updated_at = ? WHERE id = ?").run(
        JSON.stringify({ ...(old ? JSON.parse(old) : {}), ...metrics }),
        at,
        callId,
      );
    });
  }

  events(callId: string): { type: string; data: FreeJson; at: string }[] {
    this.writes.settle();
    return (
      this.db.prepare("SELECT type, data, at FROM call_events WHERE call_id = ? ORDER BY id").all(callId) as {
        type: string;
        data: string;
        at: string;
      }[]
    ).map((e) => ({ ...e, data: JSON.parse(e.data) }));
  }

  private messagesOf(ids: string[]): Map<string, CallMessage[]> {
    const out = new Map<string, CallMessage[]>();
    if (!ids.length) return out;
    const rows = this.messagesByIds.all(JSON.stringify(ids)) as (CallMessage & { call_id: string })[];
    for (const { call_id, ...m } of rows) {
      const list = out.get(call_id) ?? [];
      list.push(m);
      out.set(call_id, list);
    }
    return out;
  }

  /** Newest first. Filters use the (status, created_at) and (created_at) indexes. */
  list(filter: CallFilter): { calls: CallRecord[]; total: number } {
    this.writes.settle();
    const { clause, params } = this.where(filter);
    const rows = (
      this.cached(`${SELECT} ${clause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`, true).all(
        params,
      ) as unknown[][]
    ).map((v) => this.fromRaw(v));
    const messages = this.messagesOf(rows.map((r) => r.id));
    return {
      calls: rows.map((r) => this.toRecord(r, messages.get(r.id) ?? [])),
      total: this.total(filter, clause, params),
    };
  }

  /**
   * The same page as list(), as the API's `{ calls, pagination }` JSON body, ready to send: a finished
   * call's JSON is kept by triggers (migrations 003, 006), so most of the page is spliced from stored
   * strings; a live call's is built here, as its triggers would (cheap: few calls are live at once).
   */
  listJson(filter: CallFilter): string {
    this.writes.settle();
    const { clause, params } = this.where(filter);
    const page = `FROM calls ${clause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`;
    let calls = this.cached(`SELECT api_json ${page}`).pluck().all(params) as (string | null)[];
    // Only a page with a live call on it pays for building: COALESCE alone costs every page ~25 % of its query.
    if (calls.includes(null))
      calls = this.cached(`SELECT COALESCE(api_json, ${CALL_JSON}) ${page}`).pluck().all(params) as string[];
    const total = this.total(filter, clause, params);
    return `{"calls":[${calls.join(",")}],"pagination":{"total":${total},"limit":${filter.limit},"offset":${filter.offset}}}`;
  }

  private where(filter: CallFilter): { clause: string; params: PageParams } {
    const where: string[] = [];
    const params: PageParams = {
      limit: filter.limit,
      offset: filter.offset,
    };
    if (filter.status) {
      where.push("status = @status");
      params.status = filter.status;
    }
    if (filter.start_date) {
      where.push("created_at >= @start");
      params.start = filter.start_date;
    }
    if (filter.end_date) {
      where.push("created_at <= @end");
      params.end = filter.end_date;
    }
    if (filter.q !== undefined) where.push(this.search(filter.q, params));
    if (filter.missed)
      where.push(
        `direction = 'inbound' AND agent_id IS NULL AND started_at IS NULL AND end_reason IN (${MISSED_END_REASONS.map((r) => `'${r}'`).join(", ")})`,
      );
    return { clause: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
  }

  /**
   * The condition for `?q=`: the call's index row (migration 007) has every word, or the call was on a
   * number whose name contains the text (numbers are few: looked up first, then matched in the index).
   */
  private search(text: string, params: PageParams): string {
    const named = text.trim()
      ? (this.cached("SELECT phone_number FROM numbers WHERE name LIKE ? ESCAPE '\\'")
          .pluck()
          .all(containsPattern(text)) as string[])
      : [];
    const match = callSearchQuery(text, named);
    if (!match) return "0";
    params.match = match;
    // `+rowid`: not a lookup key, so the page walks the (status,) created_at index newest first and stops at
    // the page's end; as a key, SQLite fetched every match and sorted them (0.3 s for 14k of 100k calls).
    return "+rowid IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH @match)";
  }

  /** pagination.total: from the counts tables, or counted row by row for a search or missed calls (no counts to sum). */
  private total(filter: CallFilter, clause: string, params: PageParams): number {
    if (filter.q === undefined && !filter.missed) return this.count(filter.status, filter.start_date, filter.end_date);
    const { limit: _limit, offset: _offset, ...named } = params;
    return this.cached(`SELECT COUNT(*) FROM calls ${clause}`).pluck().get(named) as number;
  }

  /**
   * pagination.total, exact, at a cost that does not grow with the range: whole days from the per-day
   * counts, whole hours of the first and last day from the per-hour counts (migration 002), and only the
   * partial first and last hours counted row by row. The parts run as one statement (up to seven
   * subqueries): one trip into SQLite instead of seven.
   */
  private count(status: string | undefined, start: string | undefined, end: string | undefined): number {
    if (start && end && start > end) return 0;
    const parts: string[] = [];
    const params: Record<string, string> = {};
    if (status) params.status = status;
    const bound = (v: string) => {
      const name = `p${Object.keys(params).length}`;
      params[name] = v;
      return `@${name}`;
    };
    const statusIs = status ? ["status = @status"] : [];
    const where = (conds: string[]) => (conds.length ? `WHERE ${conds.join(" AND ")}` : "");
    // Exact count over the index: cheap for at most an hour of calls.
    const range = (from?: string, to?: string) =>
      parts.push(
        `(SELECT COUNT(*) FROM calls ${where([
          ...statusIs,
          ...(from ? [`created_at >= ${bound(from)}`] : []),
          ...(to ? [`created_at <= ${bound(to)}`] : []),
        ])})`,
      );
    // Sum of the per-day or per-hour buckets strictly between two keys (either may be open).
    const buckets = (table: string, key: string, after?: string, before?: string) =>
      parts.push(
        `(SELECT COALESCE(SUM(n), 0) FROM ${table} ${where([
          ...statusIs,
          ...(after ? [`${key} > ${bound(after)}`] : []),
          ...(before ? [`${key} < ${bound(before)}`] : []),
        ])})`,
      );
    // Within one UTC day: whole hours from the hourly buckets, the partial first and last hours exactly.
    const withinDay = (from: string, to: string) => {
      const h1 = from.slice(0, 13);
      const h2 = to.slice(0, 13);
      if (h1 === h2) {
        range(from, to);
        return;
      }
      buckets("call_counts_hourly", "hour", h1, h2);
      range(from, `${h1}:59:59.999Z`);
      range(`${h2}:00:00.000Z`, to);
    };
    const d1 = start?.slice(0, 10);
    const d2 = end?.slice(0, 10);
    if (d1 && d2 && d1 === d2) withinDay(start!, end!);
    else {
      buckets("call_counts_daily", "day", d1, d2);
      if (d1) withinDay(start!, `${d1}T23:59:59.999Z`);
      if (d2) withinDay(`${d2}T00:00:00.000Z`, end!);
    }
    return this.cached(`SELECT ${parts.join(" + ")}`)
      .pluck()
      .get(params) as number;
  }

  /** Calls whose rows say they are still going (connecting or in progress). */
  liveIds(): string[] {
    return this.db
      .prepare("SELECT id FROM calls WHERE status IN ('connecting', 'in-progress')")
      .pluck()
      .all() as string[];
  }

  /** Seconds talked on calls created since `since` (ISO), for the organization's monthly usage. */
  secondsSince(since: string): number {
    return this.db
      .prepare("SELECT COALESCE(SUM(duration_seconds), 0) FROM calls WHERE created_at >= ?")
      .pluck()
      .get(since) as number;
  }

  countByStatus(statuses: CallStatus[]): number {
    return this.db
      .prepare(`SELECT COUNT(*) FROM calls WHERE status IN (${statuses.map(() => "?").join(",")})`)
      .pluck()
      .get(...statuses) as number;
  }
}
