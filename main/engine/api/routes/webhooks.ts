import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import {
  errorResponses,
  IsoDateTime,
  LimitQuery,
  Nullable,
  OffsetQuery,
  Pagination,
  StringEnum,
  Uuid,
  UuidParams,
} from "../schemas/common.js";
import { parseDateParam } from "./calls.js";
import { notFound } from "../errors.js";
import { DELIVERY_STATUSES } from "../../webhooks/service.js";

const deliveryFields = {
  id: Type.String({
    format: "uuid",
    description: "delivery id, sent as X-Webhook-Delivery on every attempt: receivers de-duplicate on it",
  }),
  call_id: Nullable(Type.String()),
  event: Type.String({ description: "status-update, end-of-call-report, …; also sent as X-Webhook-Event" }),
  url: Type.String(),
  status: StringEnum(
    DELIVERY_STATUSES,
    "pending (due or waiting for a retry), delivered (a 2xx answer), failed (retries used up)",
  ),
  attempts: Type.Integer({ minimum: 0, description: "attempts made so far" }),
  last_status_code: Nullable(
    Type.Integer({ description: "HTTP status of the last attempt; null when no answer came" }),
  ),
  last_error: Nullable(Type.String()),
  next_attempt_at: Type.String({ description: "when a pending delivery is due (ISO 8601)" }),
  created_at: IsoDateTime,
  delivered_at: Nullable(Type.String()),
};
const Delivery = Type.Object(deliveryFields);

const Attempt = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer({ minimum: 0 }),
  at: IsoDateTime,
  response_body: Nullable(
    Type.String({ description: "Local addition: the first 2 KB of the receiver's answer (null: none or empty)" }),
  ),
});

const DeliveryDetail = Type.Object({
  ...deliveryFields,
  payload: Type.Unknown({ description: "the JSON body as sent (it never holds a secret)" }),
  attempt_log: Type.Array(Attempt, { description: "every attempt, oldest first" }),
});

const LOCAL =
  "Local addition (not in the cloud API): webhooks go through a persistent outbox with retries; " +
  "these endpoints show each delivery and its attempts.";

export const webhookRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["webhooks"];

  app.get(
    "/webhook-deliveries",
    {
      schema: {
        tags,
        summary: "List webhook deliveries, newest first",
        description: LOCAL,
        querystring: Type.Object(
          {
            call_id: Type.Optional(
              Type.String({ minLength: 1, maxLength: 128, description: "only this call's deliveries" }),
            ),
            status: Type.Optional(StringEnum(DELIVERY_STATUSES, "only deliveries in this state")),
            event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "only this event type" })),
            assistant_id: Type.Optional(Uuid),
            start_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: "created at or after" })),
            end_date: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: "created at or before" })),
            limit: Type.Optional(LimitQuery),
            offset: Type.Optional(OffsetQuery),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ deliveries: Type.Array(Delivery), pagination: Pagination }), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const offset = q.offset ?? 0;
      const { deliveries, total } = ctx.webhooks.listDeliveries({
        callId: q.call_id,
        status: q.status,
        event: q.event,
        assistantId: q.assistant_id,
        since: parseDateParam("start_date", q.start_date, false),
        until: parseDateParam("end_date", q.end_date, true),
        limit,
        offset,
      });
      return { deliveries, pagination: { total, limit, offset } };
    },
  );

  app.get(
    "/webhook-deliveries/:id",
    {
      schema: {
        tags,
        summary: "One webhook delivery with its payload and attempts",
        description: LOCAL,
        params: UuidParams,
        response: { 200: Type.Object({ delivery: DeliveryDetail }), ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const delivery = ctx.webhooks.getDelivery(id);
      if (!delivery) throw notFound("Webhook delivery", id);
      return { delivery };
    },
  );

  app.post(
    "/webhook-deliveries/:id/redeliver",
    {
      schema: {
        tags,
        summary: "Send a webhook delivery again now",
        description:
          `${LOCAL} The delivery keeps its id (so a receiver that already has it can drop it) and becomes due at once, ` +
          "whatever its state. A delivery that had used up its retries gets one more attempt.",
        params: UuidParams,
        response: { 200: Type.Object({ delivery: DeliveryDetail }), ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.webhooks.redeliver(id)) throw notFound("Webhook delivery", id);
      return { delivery: ctx.webhooks.getDelivery(id)! };
    },
  );
};
