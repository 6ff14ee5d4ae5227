import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, IdParams } from "../schemas/common.js";
import { ApiError } from "../errors.js";
import { acceptSdp, acceptTrickle, sdpOffer, trickleFragment } from "../sdp-offer.js";
import { CONSOLE_KEY_NAME } from "./console-login.js";

const SessionParams = Type.Object({ id: Type.String(), session: Type.String({ minLength: 16, maxLength: 64 }) });
const JoinQuery = Type.Object(
  {
    mode: Type.Optional(
      Type.Union([Type.Literal("listen"), Type.Literal("coach")], {
        description:
          "listen: only hear the call, even when this console could talk; coach: hear the call and whisper to the person who has it (409 when nobody talks on it)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Names the engine gives keys itself: they say where a key came from, not whose it is. */
const MADE_KEY_NAMES = new Set([CONSOLE_KEY_NAME, "first start", "VOICEDOCK_API_KEY", "cli", "key"]);

/** The person behind a console, as far as the engine knows: the name of its API key, when someone chose it. */
function person(keyName: string | undefined): string | null {
  const name = keyName?.trim();
  return name && !MADE_KEY_NAMES.has(name) ? name : null;
}

/**
 * A console's audio on a live call over WebRTC (local additions): the browser's SDP offer in, the answer out,
 * and the session to DELETE when it leaves. Who talks follows who has the call (console-calls.ts: takeover,
 * hand-back).
 */
export const consoleWebRtcRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["calls"];
  acceptSdp(app);
  acceptTrickle(app);
  // Any other body type reaches the handlers as text, so a 415 says what these routes take (not JSON).
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: 16_384 }, (_req, body, done) => done(null, body));
  const unavailable = () =>
    new ApiError(503, "Service Unavailable", "Console audio is not available in this engine", "not_available");

  app.post(
    "/calls/:id/webrtc",
    {
      schema: {
        tags,
        summary:
          "Local addition: a console's audio on a live call over WebRTC (the browser's SDP offer as application/sdp; answers 201 with the SDP answer)",
        description:
          "The console hears the call (the caller, and what the call sends); while a person has the call (they answered it, placed it, or took it over) the first console on it talks: its audio goes to the caller. " +
          "With `?mode=coach` the console joins as a coach: it hears the call like a listener and its microphone reaches only the talking console's person, never the caller or the recording (409 when no console talks on the call, or another console coaches already; when that person leaves or hands back, the coach listens and the events stream says so with `call.coach`). " +
          "`X-Console-Mode` says which (talk | listen | coach); a coach also gets `X-Console-Talker` (URI-encoded: the name of the talking console's API key, when someone named it). `Location` is the session to DELETE when the console leaves, and to PATCH with trickled ICE candidates (`application/trickle-ice-sdpfrag`, RFC 8840): the offer need not wait for ICE gathering.",
        params: IdParams,
        querystring: JoinQuery,
        response: {
          201: Type.String({ description: "the SDP answer (application/sdp)" }),
          ...errorResponses,
          409: errorResponses[400],
          415: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      if (!ctx.consoleLegs) throw unavailable();
      const offer = sdpOffer(req);
      const { id } = req.params;
      const joined = await ctx.consoleLegs.join(id, offer, { mode: req.query.mode, who: person(req.apiKey?.name) });
      reply
        .status(201)
        .header("Location", `/api/v1/calls/${encodeURIComponent(id)}/webrtc/${joined.session}`)
        .header("X-Console-Mode", joined.mode);
      if (joined.talker) reply.header("X-Console-Talker", encodeURIComponent(joined.talker));
      return reply.type("application/sdp").send(joined.sdp);
    },
  );

  app.patch(
    "/calls/:id/webrtc/:session",
    {
      schema: {
        tags,
        summary:
          "Local addition: trickled ICE candidates for a console's audio session (WHIP style, RFC 9725 §4.3): an RFC 8840 fragment as application/trickle-ice-sdpfrag; answers 204",
        description:
          "The fragment carries `a=ice-ufrag` (and `a=ice-pwd`) of the offer, then per media section `a=mid` and `a=candidate` lines, and `a=end-of-candidates` once the browser has no more. " +
          "400 for a fragment that does not parse, 404 for an unknown session, 415 for another body type, 422 for other ICE credentials (an ICE restart, which this engine does not do: join again).",
        params: SessionParams,
        response: {
          204: Type.Null({ description: "the candidates were passed on" }),
          ...errorResponses,
          415: errorResponses[400],
          422: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      if (!ctx.consoleLegs) throw unavailable();
      // A session that is not there is a 404 whatever the body: WHIP's resource comes first.
      if (!ctx.consoleLegs.has(req.params.session, req.params.id))
        throw new ApiError(404, "Not Found", "No console audio session with this id on this call", "not_found");
      const fragment = trickleFragment(req);
      if (ctx.consoleLegs.trickle(req.params.session, req.params.id, fragment) === "restart")
        throw new ApiError(
          422,
          "Unprocessable Entity",
          "These candidates are for other ICE credentials (an ICE restart), which this engine does not do: leave and join the call's audio again",
          "ice_restart_unsupported",
        );
      return reply.status(204).send(null);
    },
  );

  app.delete(
    "/calls/:id/webrtc/:session",
    {
      schema: {
        tags,
        summary: "Local addition: the console leaves a call's audio (the call goes on)",
        params: SessionParams,
        response: { 200: Type.Object({ success: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (req) => {
      if (!ctx.consoleLegs?.leave(req.params.session, req.params.id))
        throw new ApiError(404, "Not Found", "No console audio session with this id on this call", "not_found");
      return { success: true as const };
    },
  );
};
