import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { ErrorBody, errorResponses, StringEnum } from "../schemas/common.js";
import { TTS_PROVIDERS } from "../schemas/assistants.js";
import { ApiError, badRequest } from "../errors.js";
import { unsupportedProblem } from "../../assistants/support.js";
import { ProviderError } from "../../providers/index.js";

const Preview = Type.Object(
  {
    provider: StringEnum(TTS_PROVIDERS, "text-to-speech provider, as in tts_config"),
    voice_id: Type.String({ minLength: 1, maxLength: 200 }),
    text: Type.String({ minLength: 1, maxLength: 1000, description: "what to say, typically the first message" }),
    model: Type.Optional(Type.String({ maxLength: 200 })),
    language: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
);

// A provider that is misconfigured is the client's to fix (400); one that fails or times out is upstream.
const STATUS: Record<ProviderError["kind"], [number, string]> = {
  config: [400, "Bad Request"],
  auth: [400, "Bad Request"],
  aborted: [499, "Client Closed Request"],
  timeout: [504, "Gateway Timeout"],
  unavailable: [502, "Bad Gateway"],
  bad_response: [502, "Bad Gateway"],
};

export const voicePreviewRoutes: ApiRoutes = async (app, { ctx }) => {
  app.post(
    "/voices/preview",
    {
      schema: {
        tags: ["voices"],
        summary: "Local addition: speak a text in a voice (the engine's own TTS providers) and answer audio/wav",
        body: Preview,
        response: {
          200: Type.Any({ description: "audio/wav: mono 16-bit PCM" }),
          ...errorResponses,
          502: ErrorBody,
          503: ErrorBody,
          504: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const preview = ctx.previewVoice;
      if (!preview) throw new ApiError(503, "Service Unavailable", "Voice preview is not available in this engine");
      const { text, ...config } = req.body;
      const problem = unsupportedProblem({ tts_config: config }, "body");
      if (problem) throw badRequest(problem.replace("body.tts_config.", "body."), "not_supported");
      // The client leaving stops the synthesis (a local program is killed, a cloud stream is closed).
      const abort = new AbortController();
      req.raw.once("close", () => {
        if (!reply.sent) abort.abort();
      });
      try {
        const wav = await preview(config, text, abort.signal);
        return reply.type("audio/wav").header("cache-control", "no-store").send(wav);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const [status, error] = STATUS[err.kind];
        throw new ApiError(status, error, err.message, `provider_${err.kind}`);
      }
    },
  );
};
