import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, LimitQuery, Nullable, OffsetQuery, Pagination } from "../schemas/common.js";
import { parseDateParam } from "./calls.js";
import { badRequest } from "../errors.js";

const Log = Type.Object({
  id: Type.String(),
  call_id: Type.String(),
  duration_sec: Type.Integer(),
  duration_seconds: Type.Integer(),
  minutes_used: Type.Number(),
  byok_stt: Type.Boolean(),
  byok_llm: Type.Boolean(),
  byok_tts: Type.Boolean(),
  phone_number: Nullable(Type.String()),
  number_id: Nullable(Type.String()),
  agent_name: Nullable(Type.String()),
  business_name: Nullable(Type.String()),
  call_type: Type.String(),
  cost: Type.Number(),
  created_at: Type.String(),
});

/** Providers whose key comes from /byok (local engines need none). */
const CLOUD = new Set([
  "deepgram",
  "elevenlabs",
  "gladia",
  "mistral",
  "google",
  "openai",
  "xai",
  "xai_realtime",
  "inworld",
  "cartesia",
  "groq",
]);

export const usageRoutes: ApiRoutes = async (app, { ctx }) => {
  app.get(
    "/usage",
    {
      schema: {
        tags: ["usage"],
        summary: "Usage per finished call (nothing is billed locally: cost is 0)",
        querystring: Type.Object(
          {
            limit: Type.Optional(LimitQuery),
            offset: Type.Optional(OffsetQuery),
            start_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            end_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            logs: Type.Array(Log),
            pagination: Pagination,
            summary: Type.Object({
              total_calls: Type.Integer(),
              total_duration_seconds: Type.Integer(),
              total_duration_minutes: Type.Number(),
              total_seconds: Type.Integer(),
              total_minutes: Type.Number(),
              total_cost: Type.Number(),
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const start = parseDateParam("start_date", q.start_date, false);
      const end = parseDateParam("end_date", q.end_date, true);
      if (start && end && start > end) throw badRequest("querystring.start_date must not be after end_date");
      const limit = q.limit ?? 100;
      const offset = q.offset ?? 0;
      const { rows, calls, seconds: total } = ctx.store.usage.page({ start_date: start, end_date: end, limit, offset });
      const byok = (provider: string | null) => Boolean(provider && CLOUD.has(provider));
      const logs = rows.map((r) => {
        const seconds = r.duration_seconds ?? 0;
        return {
          id: r.id,
          call_id: r.id,
          duration_sec: seconds,
          duration_seconds: seconds,
          minutes_used: Math.round((seconds / 60) * 100) / 100,
          byok_stt: byok(r.providers.stt),
          byok_llm: byok(r.providers.llm),
          byok_tts: byok(r.providers.tts),
          phone_number: r.phone_number ?? null,
          number_id: r.number_id ?? null,
          agent_name: r.agent_name ?? null,
          business_name: r.business_name ?? null,
          call_type: r.direction === "web" ? "web" : "phone",
          cost: 0,
          created_at: r.created_at,
        };
      });
      const minutes = Math.round((total / 60) * 100) / 100;
      return {
        logs,
        pagination: { total: calls, limit, offset },
        summary: {
          total_calls: calls,
          total_duration_seconds: total,
          total_duration_minutes: minutes,
          total_seconds: total,
          total_minutes: minutes,
          total_cost: 0,
        },
      };
    },
  );
};
