import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";

export interface RateLimitOptions {
  /** Requests per minute per API key (spec: 100). */
  perKeyPerMinute: number;
  /** Control commands per minute per call (spec: 10). */
  controlPerCallPerMinute: number;
}

/**
 * Per-key limits as in features.md §14. Runs after auth (preValidation), so unauthenticated
 * requests are refused with 401 and never spend a key's budget; malformed ones still count.
 */
export async function registerRateLimit(app: FastifyInstance, opts: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: "preValidation",
    max: opts.perKeyPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => req.apiKey?.id ?? req.ip,
    allowList: (req: FastifyRequest) => !req.apiKey,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: "Too Many Requests",
      message: `Too many requests. Please retry after ${Math.ceil(ctx.ttl / 1000)} seconds.`,
      code: "rate_limit_exceeded",
    }),
  });
  // The spec's X-RateLimit-Reset is a Unix timestamp; the plugin sends seconds-until-reset.
  app.addHook("onSend", async (_req, reply) => {
    const reset = reply.getHeader("x-ratelimit-reset");
    if (reset !== undefined) reply.header("x-ratelimit-reset", String(Math.floor(Date.now() / 1000) + Number(reset)));
  });
}

/** Route config for control commands: its own bucket per call id (and per `bucket`, when not shared with them). */
export const controlRateLimit = (perMinute: number, bucket = "control") => ({
  rateLimit: {
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => `${bucket}:${(req.params as { id?: string }).id ?? ""}`,
  },
});
