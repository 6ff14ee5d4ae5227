import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "./errors.js";

/** Lets a group of routes take `application/sdp` bodies, as text (a browser's offer, WHIP style). */
export function acceptSdp(app: FastifyInstance): void {
  app.addContentTypeParser("application/sdp", { parseAs: "string" }, (_req, body, done) => done(null, body));
}

/** The SDP offer a browser sent (web calls, a console's audio): 415 for another body type, 400 for no offer. */
export function sdpOffer(req: FastifyRequest): string {
  if (!/^application\/sdp\b/i.test(req.headers["content-type"] ?? ""))
    throw new ApiError(
      415,
      "Unsupported Media Type",
      "Send the SDP offer as application/sdp",
      "unsupported_media_type",
    );
  const offer = typeof req.body === "string" ? req.body : "";
  if (!/^v=0/.test(offer.trimStart()) || !/^m=audio /m.test(offer))
    throw new ApiError(400, "Bad Request", "The body is not an SDP offer with audio", "invalid_sdp");
  return offer;
}
