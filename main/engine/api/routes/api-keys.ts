import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, IsoDateTime, Nullable } from "../schemas/common.js";
import { conflict, notFound } from "../errors.js";

const ApiKey = Type.Object({
  id: Type.String({ format: "uuid" }),
  name: Type.String(),
  prefix: Type.String({ description: "the first 12 characters, enough to recognize a key; the rest is never stored" }),
  created_at: IsoDateTime,
  last_used_at: Nullable(Type.String({ description: "minute precision" })),
  revoked_at: Nullable(Type.String()),
  current: Type.Boolean({ description: "the key this request was made with" }),
});

const LOCAL =
  "Local addition (the cloud product manages keys in its dashboard): API keys of this install. " +
  "Only a sha256 of each key is stored, so a key is shown once, when it is created.";

export const apiKeyRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["api-keys"];

  app.get(
    "/api-keys",
    {
      schema: {
        tags,
        summary: "List API keys (masked), revoked ones included",
        description: LOCAL,
        response: { 200: Type.Object({ api_keys: Type.Array(ApiKey) }), ...errorResponses },
      },
    },
    async (req) => ({
      api_keys: ctx.store.keys.list().map((k) => ({ ...k, current: k.id === req.apiKey?.id })),
    }),
  );

  app.post(
    "/api-keys",
    {
      schema: {
        tags,
        summary: "Create an API key; the answer is the only time its full text is shown",
        description: LOCAL,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: {
          201: Type.Object({ api_key: ApiKey, key: Type.String({ description: "the full key: store it now" }) }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { key, row } = ctx.store.keys.create(req.body.name.trim() || "key");
      return reply.status(201).send({ api_key: { ...row, current: false }, key });
    },
  );

  app.delete(
    "/api-keys/:id",
    {
      schema: {
        tags,
        summary: "Revoke an API key (it stays listed as revoked)",
        description: `${LOCAL} The key making the request cannot revoke itself: that would lock this client out.`,
        params: Type.Object({ id: Type.String({ format: "uuid" }) }),
        response: { 200: Type.Object({ success: Type.Literal(true) }), 409: errorResponses[400], ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (req.apiKey?.id === id)
        throw conflict("This request is made with that key: sign in with another key to revoke it");
      if (!ctx.store.keys.list().some((k) => k.id === id && !k.revoked_at)) throw notFound("Active API key", id);
      ctx.store.keys.revoke(id);
      return { success: true as const };
    },
  );
};
