import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import type { AssistantRecord } from "../../domain/assistant.js";
import { errorResponses, Nullable, StringEnum } from "../schemas/common.js";
import { ApiError, badRequest } from "../errors.js";
import { BYOK_PROVIDERS } from "../../store/byok.js";
import { PROVIDERS } from "../catalogue.js";

const Result = Type.Object({
  provider: Type.String(),
  ok: Type.Boolean(),
  detail: Type.String({ description: "what was checked and what came back; never the key" }),
  model: Nullable(Type.String({ description: "the model the check used" })),
});

export const byokLocalRoutes: ApiRoutes = async (app, { ctx }) => {
  app.get(
    "/byok/settings",
    {
      schema: {
        tags: ["byok"],
        summary: "Saved provider settings (base_url and the like), without keys",
        description:
          "Local addition: what POST /byok/config answers, readable without changing anything, so a client can " +
          "show the base_url each key is bound to. Keys are never part of it.",
        response: {
          200: Type.Object({ settings: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown())) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ settings: ctx.store.byok.configs() }),
  );

  app.post(
    "/byok/test",
    {
      schema: {
        tags: ["byok"],
        summary: "Check a saved provider key",
        description:
          "Local addition. Builds the provider the way a call would (the saved key, routed only to the official " +
          "host or the base_url saved with it). An LLM provider is asked for its model list, so a wrong key or an " +
          "unreachable base_url shows here; speech providers are not called, since that would spend credit.",
        body: Type.Object({ provider: StringEnum(BYOK_PROVIDERS, "provider id") }, { additionalProperties: false }),
        response: { 200: Result, ...errorResponses, 503: errorResponses[400] },
      },
    },
    async (req) => {
      const { provider } = req.body;
      const check = ctx.checkAssistant;
      if (!check) throw new ApiError(503, "Service Unavailable", "Provider checks are not available in this engine");
      // A provider may appear in several categories (OpenAI: llm, stt, tts); the LLM check is the one that
      // actually talks to the server, so it wins.
      const entries = PROVIDERS.filter((p) => p.id === provider);
      const entry = entries.find((p) => p.category === "llm") ?? entries.find((p) => p.category !== "email");
      if (!entry) throw badRequest(`${provider} keys are not used by a call here, so there is nothing to test`);
      const model = entry.models.find((m) => m.default)?.id ?? entry.models[0]?.id ?? null;
      const slot = `${entry.category}_config` as "llm_config" | "stt_config" | "tts_config";
      const config: Record<string, unknown> = { provider, ...(model ? { model } : {}) };
      if (entry.category === "tts") config.voice_id = model;
      const baseUrl = ctx.store.byok.config(provider).base_url;
      if (typeof baseUrl === "string") config.base_url = baseUrl;
      // A throwaway assistant that uses only this provider in its slot; the other slots keep the local defaults.
      const assistant = { id: "byok-test", name: "key test", [slot]: config } as unknown as AssistantRecord;
      const result = await check(assistant, { network: entry.category === "llm" });
      const part = result[entry.category as "llm" | "stt" | "tts"];
      return { provider, ok: part.ok, detail: part.detail, model };
    },
  );
};
