import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { loopDelay } from "../../util/loop-delay.js";

const Health = Type.Object({
  status: Type.String({ description: "`ok` or `degraded`" }),
  timestamp: Type.String(),
  version: Type.String(),
  checks: Type.Object({
    database: Type.Object({ status: Type.String(), latency_ms: Type.Number(), message: Type.Optional(Type.String()) }),
  }),
  event_loop_delay: Type.Optional(
    Type.Object(
      {
        p50_ms: Type.Number(),
        p99_ms: Type.Number(),
        max_ms: Type.Number(),
        window_seconds: Type.Number({
          description: "The delays cover this many seconds up to now (one to two minutes)",
        }),
      },
      {
        description:
          "How late the engine's main event loop ran (local addition). Call audio runs in its own thread and does not wait on it; API answers, recognizers and model streams do.",
      },
    ),
  ),
});

export const healthRoutes: ApiRoutes = async (app, { ctx }) => {
  app.get(
    "/health",
    {
      config: { public: true, rateLimit: false },
      schema: {
        tags: ["system"],
        summary: "Health check (no authentication)",
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_req, reply) => {
      const timestamp = new Date().toISOString();
      try {
        const latency = ctx.store.ping();
        return {
          status: "ok",
          timestamp,
          version: ctx.version,
          checks: { database: { status: "ok", latency_ms: Math.round(latency * 100) / 100 } },
          event_loop_delay: loopDelay.read(),
        };
      } catch (err) {
        return reply.status(503).send({
          status: "degraded",
          timestamp,
          version: ctx.version,
          checks: { database: { status: "error", latency_ms: 0, message: (err as Error).message } },
        });
      }
    },
  );
};
