import { randomBytes } from "node:crypto";
import { headerBlock } from "./message-info.js";

/** What we answer to every out-of-dialog OPTIONS (RFC 3261 §11.2): the methods, bodies and extensions we handle. */
export const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY";
export const ACCEPT = "application/sdp, application/dtmf-relay, application/dtmf";
export const SUPPORTED = "replaces, norefersub";

/**
 * A final answer to a request that no transaction of ours will handle (malformed, from a source we do not
 * accept, OPTIONS pings, requests for dialogs we do not know). RFC 3261 §8.2.6: every Via in order (a proxy
 * in the path needs its own to route the answer back), From, Call-ID and CSeq copied, a tag added to To.
 */
export function statelessReply(request: string, status: number, reason: string, extraHeaders: string[] = []): string {
  const lines = headerBlock(request).split(/\r?\n/).slice(1);
  const named = (...names: string[]) =>
    lines.filter((l) =>
      names.includes(
        l
          .slice(0, Math.max(0, l.indexOf(":")))
          .trim()
          .toLowerCase(),
      ),
    );
  const to = named("to", "t")[0]?.replace(/^[^:]*:\s*/, "");
  const toWithTag = to && !/;\s*tag=/i.test(to) ? `${to};tag=${randomBytes(6).toString("hex")}` : to;
  return [
    `SIP/2.0 ${status} ${reason.replace(/[\r\n]/g, " ").slice(0, 100)}`,
    ...named("via", "v").map((l) => `Via: ${l.replace(/^[^:]*:\s*/, "")}`),
    ...named("from", "f")
      .slice(0, 1)
      .map((l) => `From: ${l.replace(/^[^:]*:\s*/, "")}`),
    ...(toWithTag ? [`To: ${toWithTag}`] : []),
    ...named("call-id", "i")
      .slice(0, 1)
      .map((l) => `Call-ID: ${l.replace(/^[^:]*:\s*/, "")}`),
    ...named("cseq")
      .slice(0, 1)
      .map((l) => `CSeq: ${l.replace(/^[^:]*:\s*/, "")}`),
    ...extraHeaders,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

/** A 400 answer to a request we cannot process, the reason in its status line (RFC 3261 §8.2, §16.3). */
export function badRequest(text: string, reason: string): string {
  return statelessReply(text, 400, reason);
}

/** The 200 to an out-of-dialog OPTIONS: carriers ping with it to see whether we are up. */
export function optionsReply(request: string, userAgent: string): string {
  return statelessReply(request, 200, "OK", [
    `Allow: ${ALLOW}`,
    `Accept: ${ACCEPT}`,
    `Supported: ${SUPPORTED}`,
    "Accept-Language: en",
    `Server: ${userAgent}`,
  ]);
}
