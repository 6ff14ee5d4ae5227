import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { errorResponses, LimitQuery, Nullable, OffsetQuery, Pagination } from "../schemas/common.js";
import { parseDateParam } from "./calls.js";
import { badRequest } from "../errors.js";

const Log = Type.Object({
  id: Type.String(), call_id: Type.String(), duration_sec: Type.Integer(), duration_seconds: Type.Integer(), minutes_used: Type.Number(),
  byok_stt: Type.Boolean(), byok_llm: Type.Boolean(), byok_tts: Type.Boolean(),
  phone_number: Nullable(Type.String()), number_id: Nullable(Type.String()), agent_name: Nullable(Type.String()), business_name: Nullable(Type.String()),
  call_type: Type.String(), cost: Type.Number(), created_at: Type.String(),
});

/** Providers whose key comes from /byok (local engines need none). */
const CLOUD = new Set(["deepgram", "elevenlabs", "gladia", "mistral", "google", "openai", "xai", "xai_realtime", "inworld", "cartesia", "groq"]);

export function usageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get("/usage", { schema: { tags: ["usage"], summary: "Usage per finished call (nothing is billed locally: cost is 0)",
    querystring: Type.Object({ limit: Type.Optional(LimitQuery), offset: Type.Optional(OffsetQuery),
      start_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })), end_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) }, { additionalProperties: false }),
    response: { 200: Type.Object({ logs: Type.Array(Log), pagination: Pagination, summary: Type.Object({
      total_calls: Type.Integer(), total_duration_seconds: Type.Integer(), total_duration_minutes: Type.Number(), total_seconds: Type.Integer(), total_minutes: Type.Number(), total_cost: Type.Number() }) }), ...errorResponses } } },
  async (req) => {
    const q = req.query as { limit?: number; offset?: number; start_date?: string; end_date?: string };
    const start = parseDateParam("start_date", q.start_date, false);
    const end = parseDateParam("end_date", q.end_date, true);
    if (start && end && start > end) throw badRequest("querystring.start_date must not be after end_date");
    const limit = q.limit ?? 100;
    const offset = q.offset ?? 0;
    const where = ["status IN ('ended', 'failed')"];
    const params: Record<string, unknown> = {};
    if (start) { where.push("created_at >= @start"); params.start = start; }
    if (end) { where.push("created_at <= @end"); params.end = end; }
    const clause = `WHERE ${where.join(" AND ")}`;
    const totals = ctx.store.db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(duration_seconds), 0) AS s FROM calls ${clause}`).get(params) as { n: number; s: number };
    const rows = ctx.store.db.prepare(`SELECT id, duration_seconds, phone_number, number_id, agent_name, business_name, direction, assistant_config, created_at
      FROM calls ${clause} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`).all({ ...params, limit, offset }) as Record<string, unknown>[];
    const logs = rows.map((r) => {
      const a = r.assistant_config ? JSON.parse(r.assistant_config as string) : {};
      const byok = (cfg: { provider?: string } | null | undefined) => Boolean(cfg?.provider && CLOUD.has(cfg.provider));
      const seconds = (r.duration_seconds as number | null) ?? 0;
      return {
        id: r.id as string, call_id: r.id as string, duration_sec: seconds, duration_seconds: seconds, minutes_used: Math.round((seconds / 60) * 100) / 100,
        byok_stt: byok(a.stt_config), byok_llm: byok(a.llm_config), byok_tts: byok(a.tts_config),
        phone_number: (r.phone_number as string | null) ?? null, number_id: (r.number_id as string | null) ?? null,
        agent_name: (r.agent_name as string | null) ?? null, business_name: (r.business_name as string | null) ?? null,
        call_type: r.direction === "web" ? "web" : "phone", cost: 0, created_at: r.created_at as string,
      };
    });
    const minutes = Math.round((totals.s / 60) * 100) / 100;
    return {
      logs, pagination: { total: totals.n, limit, offset },
      summary: { total_calls: totals.n, total_duration_seconds: totals.s, total_duration_minutes: minutes, total_seconds: totals.s, total_minutes: minutes, total_cost: 0 },
    };
  });
}
