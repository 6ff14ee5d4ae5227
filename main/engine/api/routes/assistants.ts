import { Type } from "@sinclair/typebox";
import type { ApiApp, ApiContext, ApiRoutes } from "../context.js";
import { errorResponses, Success, UuidParams } from "../schemas/common.js";
import { Assistant, AssistantCreate, AssistantUpdate } from "../schemas/assistants.js";
import { ApiError, notFound } from "../errors.js";
import { adaptSpeechToModel } from "../../domain/speech-defaults.js";
import { checkAssistantConfig } from "../../assistants/rules.js";

const Check = Type.Object({
  provider: Type.Union([Type.String(), Type.Null()]),
  ok: Type.Boolean(),
  detail: Type.String(),
});
const Checks = Type.Object(
  { ok: Type.Boolean(), stt: Check, llm: Check, tts: Check },
  { description: "Local addition: whether each provider can work, checked without calling any server" },
);

/** Requests may use `agent_id`-era names; responses keep the current ones. */
function register(app: ApiApp, ctx: ApiContext, base: "/assistants" | "/agents"): void {
  const deprecated = base === "/agents";
  const tags = [deprecated ? "assistants (deprecated /agents alias)" : "assistants"];
  const one = { 200: Type.Object({ assistant: Assistant }), ...errorResponses };

  app.get(
    base,
    {
      schema: {
        tags,
        deprecated,
        summary: "List assistants",
        response: { 200: Type.Object({ assistants: Type.Array(Assistant) }), ...errorResponses },
      },
    },
    async () => ({ assistants: ctx.store.assistants.list() }),
  );

  app.post(
    base,
    {
      schema: {
        tags,
        deprecated,
        summary: "Create an assistant (only `name` is required)",
        body: AssistantCreate,
        response: { 201: Type.Object({ assistant: Assistant, checks: Type.Optional(Checks) }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      checkAssistantConfig(body);
      const assistant = ctx.store.assistants.create(body);
      // Local addition: what would stop a call, found now (keys, programs, voices, model files) without
      // calling any server; POST …/check also asks the LLM server.
      const checks = ctx.checkAssistant ? await ctx.checkAssistant(assistant, { network: false }) : undefined;
      return reply.status(201).send({ assistant, ...(checks ? { checks } : {}) });
    },
  );

  app.get(
    `${base}/:id`,
    { schema: { tags, deprecated, summary: "Get an assistant", params: UuidParams, response: one } },
    async (req) => {
      const { id } = req.params;
      const assistant = ctx.store.assistants.get(id);
      if (!assistant) throw notFound("Assistant", id);
      return { assistant };
    },
  );

  app.patch(
    `${base}/:id`,
    {
      schema: {
        tags,
        deprecated,
        summary: "Update an assistant: each field sent replaces the stored one whole",
        params: UuidParams,
        body: AssistantUpdate,
        response: one,
      },
    },
    async (req) => {
      const { id } = req.params;
      const current = ctx.store.assistants.get(id);
      if (!current) throw notFound("Assistant", id);
      const patch = adaptSpeechToModel(current, req.body);
      checkAssistantConfig({ ...current, ...patch });
      return { assistant: ctx.store.assistants.update(id, patch)! };
    },
  );

  app.post(
    `${base}/:id/check`,
    {
      schema: {
        tags,
        deprecated,
        params: UuidParams,
        summary:
          "Local addition: whether each configured provider can work (LLM reachable with its model; STT/TTS keys, binaries, voices, model files)",
        response: {
          200: Type.Object({ assistant_id: Type.String(), ok: Type.Boolean(), stt: Check, llm: Check, tts: Check }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const assistant = ctx.store.assistants.get(id);
      if (!assistant) throw notFound("Assistant", id);
      if (!ctx.checkAssistant)
        throw new ApiError(
          503,
          "Service Unavailable",
          "Provider checks are not available in this engine",
          "not_available",
        );
      return { assistant_id: id, ...(await ctx.checkAssistant(assistant)) };
    },
  );

  app.delete(
    `${base}/:id`,
    {
      schema: {
        tags,
        deprecated,
        summary: "Delete an assistant (numbers pointing at it are unassigned)",
        params: UuidParams,
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.assistants.delete(id)) throw notFound("Assistant", id);
      return { success: true as const };
    },
  );
}

export const assistantRoutes: ApiRoutes = async (app, { ctx }) => {
  register(app, ctx, "/assistants");
  register(app, ctx, "/agents");
};
