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
      "Send the SDP offer with 'Content-Type: application/sdp'",
      "unsupported_media_type",
    );
  const offer = typeof req.body === "string" ? req.body : "";
  if (!/^v=0/.test(offer.trimStart()) || !/^m=audio /m.test(offer))
    throw new ApiError(400, "Bad Request", "The body is not an SDP offer with audio", "invalid_sdp");
  return offer;
}

/** A browser's trickled candidates (RFC 8840 fragment), as the engine passes them on. */
export interface IceFragment {
  ufrag: string | null;
  pwd: string | null;
  candidates: { candidate: string; mid: string | null }[];
  end: boolean;
}

/** More than a browser gathers on any machine; the cap keeps one request from queueing work without end. */
const MAX_CANDIDATES = 64;
const TRICKLE_TYPE = "application/trickle-ice-sdpfrag";
/**
 * RFC 8839 §5.1: foundation, component, transport, priority, address, port, `typ` and a type, then pairs
 * (raddr/rport, generation, ufrag, network-id…). Addresses may be mDNS names.
 */
const CANDIDATE =
  /^candidate:[A-Za-z0-9+/]{1,32} \d{1,3} (?:udp|tcp) \d{1,10} [A-Za-z0-9.:%-]{1,255} \d{1,5} typ (?:host|srflx|prflx|relay)(?: \S{1,64} \S{1,64})*$/i;
const ICE_CHARS = /^[A-Za-z0-9+/]{1,256}$/;

/** Lets the trickle route take its body as text. */
export function acceptTrickle(app: FastifyInstance): void {
  app.addContentTypeParser(TRICKLE_TYPE, { parseAs: "string", bodyLimit: 16_384 }, (_req, body, done) =>
    done(null, body),
  );
}

/** The candidates a browser trickled (PATCH, WHIP style): 415 for another body type, 400 naming a bad line. */
export function trickleFragment(req: FastifyRequest): IceFragment {
  if (!new RegExp(`^${TRICKLE_TYPE}\\b`, "i").test(req.headers["content-type"] ?? ""))
    throw new ApiError(
      415,
      "Unsupported Media Type",
      `Send trickled ICE candidates with 'Content-Type: ${TRICKLE_TYPE}' (an RFC 8840 fragment)`,
      "unsupported_media_type",
    );
  return parseIceFragment(typeof req.body === "string" ? req.body : "");
}

/**
 * Reads an RFC 8840 fragment: ice-ufrag/ice-pwd, then per media section (`m=` line) its `a=mid` and
 * `a=candidate` lines, and `a=end-of-candidates`. Other attributes are ignored, as SDP readers do; a line
 * that is not an attribute or a media line, or a candidate that does not parse, is refused.
 */
export function parseIceFragment(body: string): IceFragment {
  const bad = (message: string) =>
    new ApiError(400, "Bad Request", `The ICE fragment is not valid: ${message}`, "invalid_ice_fragment");
  const out: IceFragment = { ufrag: null, pwd: null, candidates: [], end: false };
  /** Candidates of the current media section: its `a=mid` may come after them. */
  let section: { candidate: string; mid: string | null }[] = [];
  let mid: string | null = null;
  const closeSection = () => {
    for (const c of section) c.mid = mid;
    out.candidates.push(...section);
    section = [];
    mid = null;
  };
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("m=")) {
      closeSection();
      continue;
    }
    if (!line.startsWith("a=")) throw bad(`'${line.slice(0, 40)}' is not an a= or m= line`);
    const colon = line.indexOf(":");
    const name = colon < 0 ? line.slice(2) : line.slice(2, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1);
    if (name === "ice-ufrag" || name === "ice-pwd") {
      if (!ICE_CHARS.test(value)) throw bad(`a=${name} has no valid value`);
      out[name === "ice-ufrag" ? "ufrag" : "pwd"] = value;
    } else if (name === "mid") {
      if (!/^[\x21-\x7e]{1,32}$/.test(value)) throw bad("a=mid has no valid value");
      mid = value;
    } else if (name === "candidate") {
      const candidate = line.slice(2);
      if (!CANDIDATE.test(candidate)) throw bad(`'${line.slice(0, 60)}' is not an ICE candidate`);
      section.push({ candidate, mid: null });
    } else if (name === "end-of-candidates") out.end = true;
  }
  closeSection();
  if (out.candidates.length > MAX_CANDIDATES) throw bad(`more than ${MAX_CANDIDATES} candidates`);
  if (!out.ufrag) throw bad("a=ice-ufrag is missing (it says which ICE session the candidates are for)");
  return out;
}
