import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Nullable, StringEnum } from "../schemas/common.js";
import { badRequest, notFound } from "../errors.js";
import { BYOK_PROVIDERS } from "../../store/byok.js";
import { PROVIDERS } from "../catalogue.js";

const Keys = Type.Object(
  { byok_keys: Type.Record(Type.String(), Nullable(Type.String())) },
  { description: "`<provider>_secret_id` per provider; non-null means a key is configured. Keys are never returned." },
);
const Provider = StringEnum(BYOK_PROVIDERS, "provider id");

export const byokRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["byok"];
  app.get(
    "/byok",
    { schema: { tags, summary: "Which provider keys are configured", response: { 200: Keys, ...errorResponses } } },
    async () => ({ byok_keys: ctx.store.byok.summary() }),
  );

  app.post(
    "/byok",
    {
      schema: {
        tags,
        summary: "Add or replace a provider key (encrypted at rest, write-only)",
        body: Type.Object({
          provider: Provider,
          api_key: Type.String({ minLength: 1, maxLength: 500, pattern: "^\\S+$", description: "no whitespace" }),
          base_url: Type.Optional(
            Nullable(
              Type.String({
                format: "uri",
                pattern: "^https?://",
                maxLength: 500,
                description:
                  "Local addition: besides the provider's official host, the one server this key may be sent to (a gateway, a regional endpoint, a test double). Saving a key without it clears it.",
              }),
            ),
          ),
        }),
        response: {
          200: Type.Object({ success: Type.Literal(true), byok_keys: Keys.properties.byok_keys }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { provider, api_key, base_url } = req.body;
      ctx.store.byok.set(provider, api_key, base_url ?? null);
      return { success: true as const, byok_keys: ctx.store.byok.summary() };
    },
  );

  app.delete(
    "/byok",
    {
      schema: {
        tags,
        summary: "Remove a provider key",
        body: Type.Object({ provider: Provider }),
        response: {
          200: Type.Object({ success: Type.Literal(true), byok_keys: Keys.properties.byok_keys }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { provider } = req.body;
      if (!ctx.store.byok.delete(provider)) throw notFound("BYOK key for provider", provider);
      return { success: true as const, byok_keys: ctx.store.byok.summary() };
    },
  );

  app.get(
    "/byok/config",
    {
      schema: {
        tags,
        summary: "Provider and model catalogue (cloud and local engines)",
        response: {
          200: Type.Object({
            providers: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                category: Type.String(),
                docsUrl: Type.String(),
                local: Type.Boolean(),
                requires_key: Type.Boolean(),
                configured: Type.Boolean(),
                models: Type.Array(
                  Type.Object({ id: Type.String(), name: Type.String(), default: Type.Optional(Type.Boolean()) }),
                ),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      providers: PROVIDERS.map((p) => ({ ...p, configured: !p.requires_key || ctx.store.byok.has(p.id) })),
    }),
  );

  app.post(
    "/byok/config",
    {
      schema: {
        tags,
        summary: "Store provider settings (merged); a key must be stored first",
        body: Type.Object({ provider: Provider, config: Type.Object({}, { additionalProperties: true }) }),
        response: { 200: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())), ...errorResponses },
      },
    },
    async (req) => {
      const { provider, config } = req.body;
      if (!ctx.store.byok.has(provider)) throw notFound("BYOK key for provider", provider);
      // Pointing a saved key at another server would let whoever does it read the key there: the server is
      // chosen only together with the key itself (POST /byok with base_url).
      if ("base_url" in config && config.base_url !== ctx.store.byok.config(provider).base_url) {
        throw badRequest(
          "body.config.base_url can only be set together with the key it may receive: POST /api/v1/byok {provider, api_key, base_url}",
        );
      }
      ctx.store.byok.mergeConfig(provider, config);
      return ctx.store.byok.configs();
    },
  );
};
