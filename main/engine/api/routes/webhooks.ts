import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { errorResponses, LimitQuery, Nullable, OffsetQuery, Pagination, StringEnum, UuidParams } from "../schemas/common.js";
import { notFound } from "../errors.js";

const Delivery = Type.Object({
  id: Type.String({ description: "delivery id, also sent as X-Webhook-Delivery" }),
  call_id: Nullable(Type.String()),
  event: Type.String(),
  url: Type.String(),
  status: StringEnum(["pending", "delivered", "failed"] as const),
  attempts: Type.Integer(),
  next_attempt_at: Type.String(),
  last_error: Nullable(Type.String()),
  last_status_code: Nullable(Type.Integer()),
  created_at: Type.String(),
  delivered_at: Nullable(Type.String()),
});
const DeliveryDetail = Type.Intersect([Delivery, Type.Object({
  payload: Type.Unknown({ description: "the JSON body sent" }),
  attempt_log: Type.Array(Type.Object({ attempt: Type.Integer(), status_code: Nullable(Type.Integer()), error: Nullable(Type.String()), duration_ms: Type.Integer(), at: Type.String() })),
})]);

const LOCAL = "Local addition: webhook deliveries from the persistent outbox, with their attempts.";

export function webhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ["webhooks"];
  app.get("/webhook-deliveries", { schema: { tags, summary: "List webhook deliveries, newest first", description: LOCAL,
    querystring: Type.Object({ call_id: Type.Optional(Type.String({ maxLength: 128 })), status: Type.Optional(StringEnum(["pending", "delivered", "failed"] as const)), limit: Type.Optional(LimitQuery), offset: Type.Optional(OffsetQuery) }, { additionalProperties: false }),
    response: { 200: Type.Object({ deliveries: Type.Array(Delivery), pagination: Pagination }), ...errorResponses } } },
  async (req) => {
    const q = req.query as { call_id?: string; status?: string; limit?: number; offset?: number };
    const limit = q.limit ?? 100;
    const offset = q.offset ?? 0;
    const { deliveries, total } = ctx.webhooks.listDeliveries({ callId: q.call_id, status: q.status, limit, offset });
    return { deliveries, pagination: { total, limit, offset } };
  });

  app.get("/webhook-deliveries/:id", { schema: { tags, summary: "One delivery with its payload and attempts", description: LOCAL, params: UuidParams,
    response: { 200: Type.Object({ delivery: DeliveryDetail }), ...errorResponses } } },
  async (req) => {
    const { id } = req.params as { id: string };
    const delivery = ctx.webhooks.getDelivery(id);
    if (!delivery) throw notFound("Webhook delivery", id);
    return { delivery };
  });

  app.post("/webhook-deliveries/:id/redeliver", { schema: { tags, summary: "Send a delivery again now (same delivery id)", description: LOCAL, params: UuidParams,
    response: { 200: Type.Object({ delivery: DeliveryDetail }), ...errorResponses } } },
  async (req) => {
    const { id } = req.params as { id: string };
    if (!ctx.webhooks.redeliver(id)) throw notFound("Webhook delivery", id);
    return { delivery: ctx.webhooks.getDelivery(id)! };
  });
}
