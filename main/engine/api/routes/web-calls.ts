import { Type } from "@sinclair/typebox";
import type { FastifyReply } from "fastify";
import { ApiError } from "../errors.js";
import { acceptSdp, sdpOffer } from "../sdp-offer.js";
import { errorResponses } from "../schemas/common.js";
import { AssistantInline } from "../schemas/assistants.js";
import { FreeObject } from "../../domain/schema.js";
import type { ApiContext, ApiRoutes } from "../context.js";
import type { WebCallRequest } from "../../calls/web-calls.js";

export const WebCallBody = Type.Object(
  {
    assistant_id: Type.Optional(Type.String({ format: "uuid", description: "saved assistant (reference mode)" })),
    assistant_override: Type.Optional(AssistantInline),
    assistant: Type.Optional(AssistantInline),
    metadata: Type.Optional(FreeObject()),
  },
  { additionalProperties: true },
);

export const WebCallResponse = Type.Object({
  token: Type.String({ description: "short-lived (60 s), single-use: the browser sends it with its SDP offer" }),
  server_url: Type.String({
    description: "where the browser sends its offer (WHIP, RFC 9725: POST application/sdp, Bearer token)",
  }),
  call_id: Type.String({ description: "Local addition: the call this web call is" }),
  expires_at: Type.String({ description: "Local addition: when the token stops working" }),
});

const unavailable = () =>
  new ApiError(503, "Service Unavailable", "Web calls are not available in this engine", "not_available");

function create(ctx: ApiContext) {
  return async (req: { body: WebCallRequest }, reply: FastifyReply) => {
    if (!ctx.webCalls) throw unavailable();
    return reply.status(201).send(ctx.webCalls.create(req.body));
  };
}

const createSchema = (hide: boolean) => ({
  hide,
  tags: ["web-calls"],
  summary:
    "Start a web call: a browser talks to an assistant over WebRTC (reference, transient or hybrid mode, as for phone calls)",
  body: WebCallBody,
  response: { 201: WebCallResponse, ...errorResponses },
});

/** POST /api/v1/web-calls and the WHIP endpoints the browser uses with its token. */
export const webCallRoutes: ApiRoutes = async (app, { ctx }) => {
  acceptSdp(app);

  app.post("/web-calls", { schema: createSchema(false) }, create(ctx));

  app.post(
    "/web-calls/connect",
    {
      // The browser never holds an API key: its credential is the web call's token.
      config: { public: true },
      schema: {
        tags: ["web-calls"],
        summary:
          "Local addition (WHIP, RFC 9725): the browser's SDP offer with its web call token as Bearer; answers 201 with the SDP answer and a Location to DELETE when it hangs up",
        response: {
          201: Type.String({ description: "the SDP answer (application/sdp)" }),
          400: errorResponses[400],
          401: errorResponses[401],
          415: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      if (!ctx.webCalls) throw unavailable();
      const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
      if (!token)
        throw new ApiError(
          401,
          "Unauthorized",
          "Send the web call's token: 'Authorization: Bearer <token>'",
          "unauthorized",
        );
      const offer = sdpOffer(req);
      const joined = await ctx.webCalls.connect(token, offer);
      if (!joined)
        throw new ApiError(
          401,
          "Unauthorized",
          "This web call token is not valid: it was used already, has expired (tokens last 60 s), or was never issued",
          "invalid_token",
        );
      return reply
        .status(201)
        .header("Location", `/api/v1/web-calls/sessions/${joined.session}`)
        .header("X-Call-Id", joined.callId)
        .type("application/sdp")
        .send(joined.sdp);
    },
  );

  app.delete(
    "/web-calls/sessions/:session",
    {
      // The session's URL is its credential (WHIP: the resource the answer's Location names).
      config: { public: true },
      schema: {
        tags: ["web-calls"],
        summary: "Local addition (WHIP): the browser hangs up the web call",
        params: Type.Object({ session: Type.String({ minLength: 16, maxLength: 64 }) }),
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (req) => {
      if (!ctx.webCalls) throw unavailable();
      if (!ctx.webCalls.hangUp(req.params.session))
        throw new ApiError(404, "Not Found", "No live web call has this session", "not_found");
      return { success: true as const };
    },
  );
};

/** The documented path, `/v1/web-calls` on the web-call host (api-v1 §7.1): the same operation. */
export const webCallDocumentedRoute: ApiRoutes = async (app, { ctx }) => {
  app.post("/v1/web-calls", { schema: createSchema(true) }, create(ctx));
};
