import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, IdParams } from "../schemas/common.js";
import { ApiError } from "../errors.js";
import { acceptSdp, sdpOffer } from "../sdp-offer.js";

const SessionParams = Type.Object({ id: Type.String(), session: Type.String({ minLength: 16, maxLength: 64 }) });

/**
 * A console's audio on a live call over WebRTC (local additions): the browser's SDP offer in, the answer out,
 * and the session to DELETE when it leaves. Who talks follows who has the call (console-calls.ts: takeover,
 * hand-back).
 */
export const consoleWebRtcRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["calls"];
  acceptSdp(app);

  app.post(
    "/calls/:id/webrtc",
    {
      schema: {
        tags,
        summary:
          "Local addition: a console's audio on a live call over WebRTC (the browser's SDP offer as application/sdp; answers 201 with the SDP answer)",
        description:
          "The console hears the call (the caller, and what the call sends); while a person has the call (they answered it, placed it, or took it over) the first console on it talks: its audio goes to the caller. `X-Console-Mode` says which (talk | listen); `Location` is the session to DELETE when the console leaves.",
        params: IdParams,
        response: {
          201: Type.String({ description: "the SDP answer (application/sdp)" }),
          ...errorResponses,
          409: errorResponses[400],
          415: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      if (!ctx.consoleLegs)
        throw new ApiError(
          503,
          "Service Unavailable",
          "Console audio is not available in this engine",
          "not_available",
        );
      const offer = sdpOffer(req);
      const { id } = req.params;
      const joined = await ctx.consoleLegs.join(id, offer);
      return reply
        .status(201)
        .header("Location", `/api/v1/calls/${encodeURIComponent(id)}/webrtc/${joined.session}`)
        .header("X-Console-Mode", joined.mode)
        .type("application/sdp")
        .send(joined.sdp);
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
