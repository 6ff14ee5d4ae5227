import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import websocket from "@fastify/websocket";
import fastifyStatic from "@fastify/static";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { existsSync } from "node:fs";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { ApiContext } from "./context.js";
import { registerErrorHandling, formatSchemaErrors } from "./plugins/errors.js";
import { registerAuth } from "./plugins/auth.js";
import { registerRateLimit } from "./plugins/rate-limit.js";
import { registerEmptyBody } from "./plugins/empty-body.js";
import { registerSecretMasking } from "./plugins/mask-secrets.js";
import { registerRequestLog } from "./plugins/request-log.js";
import { ErrorBody } from "./schemas/common.js";
import { healthRoutes } from "./routes/health.js";
import { organizationRoutes } from "./routes/organizations.js";
import { assistantRoutes } from "./routes/assistants.js";
import { assistantTemplateRoutes } from "./routes/assistant-templates.js";
import { callRoutes } from "./routes/calls.js";
import { eventRoutes } from "./routes/events.js";
import { consoleCallRoutes } from "./routes/console-calls.js";
import { consoleWebRtcRoutes } from "./routes/console-webrtc.js";
import { attendedTransferRoutes } from "./routes/attended-transfer.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { numberRoutes } from "./routes/numbers.js";
import { sipTrunkRoutes } from "./routes/sip-trunks.js";
import { byokRoutes } from "./routes/byok.js";
import { voiceRoutes } from "./routes/voices.js";
import { voicePreviewRoutes } from "./routes/voice-preview.js";
import { usageRoutes } from "./routes/usage.js";
import { templateRoutes } from "./routes/templates.js";
import { modelRoutes } from "./routes/models.js";
import { settingsRoutes } from "./routes/settings.js";
import { campaignRoutes } from "./routes/campaigns.js";
import { apiKeyRoutes } from "./routes/api-keys.js";
import { modelStorageRoutes } from "./routes/model-storage.js";
import { webhookTestRoutes } from "./routes/webhook-test.js";
import { byokLocalRoutes } from "./routes/byok-local.js";
import { consoleLoginRoutes } from "./routes/console-login.js";
import { webCallDocumentedRoute, webCallRoutes } from "./routes/web-calls.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;

function makeAjv(coerce: boolean): Ajv {
  // Query strings and paths arrive as text and are coerced; JSON bodies are not, so `"limit": "5"` is an error.
  const ajv = new Ajv({
    coerceTypes: coerce ? "array" : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/** Builds the HTTP app. Routes are registered explicitly (autoloading does not survive bundling). */
export async function buildApp(
  ctx: ApiContext,
  opts: { logger?: FastifyServerOptions["logger"] } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // Our own request line at debug instead (plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    ajv: { customOptions: { strict: false } },
    schemaErrorFormatter: (errors, dataVar) => formatSchemaErrors(errors as never, dataVar),
    // Route ids are percent-encoded by the SDK; decoded ids are validated by pattern.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajvBody = makeAjv(false);
  const ajvOther = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === "body" ? ajvBody : ajvOther).compile(schema));

  registerErrorHandling(app);
  // A JSON API: plain text is not a body we understand (415), rather than a string that fails validation.
  app.removeContentTypeParser("text/plain");
  registerEmptyBody(app);
  registerSecretMasking(app);
  registerRequestLog(app);
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "VoiceDock Desktop — v1 API",
        version: ctx.version,
        description:
          "The VoiceDock / HMS Sovereign v1 HTTP API, served on this machine. Clients of the cloud product work " +
          "unchanged with this base URL. Local additions (marked so in their descriptions) are additive.",
      },
      servers: [{ url: "/" }],
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API key" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  registerAuth(app, ctx.store.keys);
  await registerRateLimit(app, ctx.rateLimit);

  app.get("/api/openapi.json", { schema: { hide: true }, config: { public: true, rateLimit: false } }, async () =>
    app.swagger(),
  );

  await app.register(
    async (v1) => {
      await v1.register(healthRoutes, { ctx });
      await v1.register(organizationRoutes, { ctx });
      await v1.register(assistantRoutes, { ctx });
      await v1.register(assistantTemplateRoutes, { ctx });
      await v1.register(callRoutes, { ctx });
      await v1.register(eventRoutes, { ctx });
      await v1.register(consoleCallRoutes, { ctx });
      await v1.register(consoleWebRtcRoutes, { ctx });
      await v1.register(attendedTransferRoutes, { ctx });
      await v1.register(webhookRoutes, { ctx });
      await v1.register(numberRoutes, { ctx });
      await v1.register(sipTrunkRoutes, { ctx });
      await v1.register(byokRoutes, { ctx });
      await v1.register(voiceRoutes, { ctx });
      await v1.register(voicePreviewRoutes, { ctx });
      await v1.register(usageRoutes, { ctx });
      await v1.register(templateRoutes, { ctx });
      await v1.register(modelRoutes, { ctx });
      await v1.register(settingsRoutes, { ctx });
      await v1.register(campaignRoutes, { ctx });
      await v1.register(apiKeyRoutes, { ctx });
      await v1.register(modelStorageRoutes, { ctx });
      await v1.register(webhookTestRoutes, { ctx });
      await v1.register(byokLocalRoutes, { ctx });
      await v1.register(consoleLoginRoutes, { ctx });
      await v1.register(webCallRoutes, { ctx });
    },
    { prefix: "/api/v1" },
  );
  await app.register(webCallDocumentedRoute, { ctx });

  if (ctx.consoleDir && existsSync(ctx.consoleDir)) {
    await app.register(fastifyStatic, { root: ctx.consoleDir, prefix: "/", index: ["index.html"], wildcard: false });
  } else {
    app.get("/", { schema: { hide: true }, config: { public: true } }, async (_req, reply) =>
      reply
        .type("text/html")
        .send(
          '<h1>VoiceDock</h1><p>The console is not built: run <code>npm run build:app</code>. The API is at <a href="/api/docs">/api/docs</a>.</p>',
        ),
    );
  }

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
