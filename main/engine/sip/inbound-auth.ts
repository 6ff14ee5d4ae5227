import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { firstHeader, headerBlock } from "./message-info.js";

/** Credentials a trunk must present on its INVITEs (carriers that authenticate to the PBX they call). */
export interface InboundCredentials {
  username: string;
  password: string;
}

/** A nonce is honoured this long; an older one gets a fresh challenge with `stale=true` (RFC 2617 §3.2.1). */
const NONCE_TTL_MS = 5 * 60 * 1000;
export const INBOUND_REALM = "voicedock";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/**
 * Digest challenges for INVITEs from trunks configured with `inbound_auth` (RFC 3261 §22.4, RFC 2617 with
 * qop=auth). Stateless: the nonce carries its own time and an HMAC over it, so a restart or a retransmitted
 * challenge needs no table.
 */
export class InboundDigest {
  private readonly key = randomBytes(32);

  private nonce(now = Date.now()): string {
    const ts = now.toString(36);
    return `${ts}.${createHmac("sha256", this.key).update(ts).digest("base64url").slice(0, 22)}`;
  }

  private nonceAge(nonce: string): number | null {
    const [ts, mac] = nonce.split(".");
    if (!ts || !mac) return null;
    const want = createHmac("sha256", this.key).update(ts).digest("base64url").slice(0, 22);
    if (want.length !== mac.length || !timingSafeEqual(Buffer.from(want), Buffer.from(mac))) return null;
    return Date.now() - parseInt(ts, 36);
  }

  /** The header of a 401 that asks for credentials. */
  challenge(stale = false): string {
    return `WWW-Authenticate: Digest realm="${INBOUND_REALM}", nonce="${this.nonce()}", algorithm=MD5, qop="auth"${stale ? ", stale=true" : ""}`;
  }

  /** "ok", or why the request's Authorization does not pass ("missing", "stale", "wrong"). */
  verify(request: string, method: string, creds: InboundCredentials): "ok" | "missing" | "stale" | "wrong" {
    const header = firstHeader(headerBlock(request), "authorization");
    if (!header || !/^Digest\s/i.test(header)) return "missing";
    const p = parseParams(header.replace(/^Digest\s+/i, ""));
    if (p.username !== creds.username || p.realm !== INBOUND_REALM || !p.nonce || !p.uri || !p.response) return "wrong";
    const age = this.nonceAge(p.nonce);
    if (age === null) return "wrong";
    if (age > NONCE_TTL_MS) return "stale";
    const ha1 = md5(`${creds.username}:${INBOUND_REALM}:${creds.password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = p.qop
      ? md5(`${ha1}:${p.nonce}:${p.nc ?? ""}:${p.cnonce ?? ""}:${p.qop}:${ha2}`)
      : md5(`${ha1}:${p.nonce}:${ha2}`);
    const given = p.response.toLowerCase();
    return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
      ? "ok"
      : "wrong";
  }
}

/** `key=value, key="quoted, value"` → a map (RFC 2617 auth-params). */
function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g))
    out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}
