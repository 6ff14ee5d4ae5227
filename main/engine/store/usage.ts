import type { Db } from "./db.js";

/** A finished call as GET /usage reports it; `providers` are the resolved assistant's, when it named them. */
export interface UsageRow {
  id: string;
  duration_seconds: number | null;
  phone_number: string | null;
  number_id: string | null;
  agent_name: string | null;
  business_name: string | null;
  direction: string;
  created_at: string;
  providers: { stt: string | null; llm: string | null; tts: string | null };
}

export interface UsageFilter {
  start_date?: string;
  end_date?: string;
  limit: number;
  offset: number;
}

interface Row extends Omit<UsageRow, "providers"> {
  assistant_config: string | null;
}

const providerOf = (config: unknown): string | null => {
  const provider = config && typeof config === "object" ? (config as { provider?: unknown }).provider : undefined;
  return typeof provider === "string" ? provider : null;
};

/** Usage per finished call (ended or failed), newest first, with the totals over the whole range. */
export class UsageRepo {
  constructor(private readonly db: Db) {}

  page(filter: UsageFilter): { rows: UsageRow[]; calls: number; seconds: number } {
    const where = ["status IN ('ended', 'failed')"];
    const params: { start?: string; end?: string } = {};
    if (filter.start_date) {
      where.push("created_at >= @start");
      params.start = filter.start_date;
    }
    if (filter.end_date) {
      where.push("created_at <= @end");
      params.end = filter.end_date;
    }
    const clause = `WHERE ${where.join(" AND ")}`;
    const totals = this.db
      .prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(duration_seconds), 0) AS s FROM calls ${clause}`)
      .get(params) as { n: number; s: number };
    const rows = this.db
      .prepare(
        `SELECT id, duration_seconds, phone_number, number_id, agent_name, business_name, direction, assistant_config, created_at
      FROM calls ${clause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: filter.limit, offset: filter.offset }) as Row[];
    return {
      calls: totals.n,
      seconds: totals.s,
      rows: rows.map(({ assistant_config, ...r }) => {
        // The stored assistant is JSON the engine wrote; only its providers' names matter here.
        const a = (assistant_config ? JSON.parse(assistant_config) : {}) as {
          stt_config?: unknown;
          llm_config?: unknown;
          tts_config?: unknown;
        };
        return {
          ...r,
          providers: { stt: providerOf(a.stt_config), llm: providerOf(a.llm_config), tts: providerOf(a.tts_config) },
        };
      }),
    };
  }
}
