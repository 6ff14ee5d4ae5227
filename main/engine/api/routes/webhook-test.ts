import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Uuid } from "../schemas/common.js";
import { badRequest, notFound } from "../errors.js";

const LOCAL =
  "Local addition: queues a `test` event through the same outbox, signing and retries as call events, so " +
  "a receiver can be tried before the first call. Follow it with GET /api/v1/webhook-deliveries/{id}.";

export const webhookTestRoutes: ApiRoutes = async (app, { ctx }) => {
  app.post(
    "/webhooks/test",
    {
      schema: {
        tags: ["webhooks"],
        summary: "Send a test event to an assistant's webhook",
        description: LOCAL,
        body: Type.Object({ assistant_id: Uuid }, { additionalProperties: false }),
        response: {
          202: Type.Object({ delivery_id: Type.String({ format: "uuid" }), url: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { assistant_id } = req.body;
      const assistant = ctx.store.assistants.get(assistant_id);
      if (!assistant) throw notFound("Assistant", assistant_id);
      const url = assistant.webhook_url;
      if (typeof url !== "string" || !url)
        throw badRequest(
          `Assistant '${assistant.name}' has no webhook_url: set one with PATCH /api/v1/assistants/${assistant_id}`,
        );
      const secret = ctx.store.assistants.webhookSecret(assistant_id);
      const body = JSON.stringify({
        message: {
          type: "test",
          timestamp: new Date().toISOString(),
          assistant: { id: assistant.id, name: assistant.name },
          note: "A test event sent from VoiceDock: no call is involved.",
        },
      });
      const id = ctx.webhooks.enqueue({
        callId: null,
        event: "test",
        url,
        body,
        // Sealed again for the outbox row, like a call's delivery: the clear secret never lands on disk.
        secretEnc: secret ? ctx.store.box.seal(secret) : null,
      });
      return reply.status(202).send({ delivery_id: id, url });
    },
  );
};
