import type { SecretBox } from "./secret-box.js";

/**
 * Credentials inside free-form JSON (an assistant's tools, a tool template's config, a call's resolved
 * assistant): `server.secret`, `api_key`, `password`, a header such as `Authorization: Bearer …`, at any
 * depth. They are sealed when written to the database and never leave through the API (responses show
 * the mask; writing the mask back keeps the stored value), so the "write-only" promise holds beyond
 * `webhook_secret`.
 */

/** Shown instead of a stored secret; writing it back leaves the secret unchanged. */
export const SECRET_MASK = "********";
/** A sealed value inside JSON: the prefix, then the SecretBox format. */
export const SEALED_PREFIX = "vd-sealed:";

const KEY_NAMES = new Set([
  "secret",
  "password",
  "passwd",
  "api_key",
  "apikey",
  "api-key",
  "x-api-key",
  "token",
  "auth_token",
  "access_token",
  "refresh_token",
  "client_secret",
  "private_key",
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-auth-token",
  "xi-api-key",
]);

/** Whether a key names a credential (its `_enc` siblings are sealed already, by their owner). */
export function isCredentialKey(key: string): boolean {
  const k = key.toLowerCase();
  if (k.endsWith("_enc")) return false;
  return KEY_NAMES.has(k) || /(_|-)(secret|password|api_key|apikey|token|access_key|secret_key|private_key)$/.test(k);
}

/** Inside a `headers` object, an auth scheme marks a credential whatever the header is called. */
const AUTH_VALUE = /^(bearer|basic|token|digest|apikey)\s+\S/i;

export const isSealed = (v: unknown): v is string => typeof v === "string" && v.startsWith(SEALED_PREFIX);

type Json = unknown;

function walk(
  value: Json,
  previous: Json,
  inHeaders: boolean,
  leaf: (v: string, previous: Json) => string | undefined,
): Json {
  if (Array.isArray(value))
    return value.map((v, i) => walk(v, Array.isArray(previous) ? previous[i] : undefined, false, leaf));
  if (!value || typeof value !== "object") return value;
  const prev =
    previous && typeof previous === "object" && !Array.isArray(previous) ? (previous as Record<string, Json>) : {};
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) {
    // `metadata` is the user's own object, echoed to their webhooks as given (webhooks.md §5.1): not ours to seal.
    if (k === "metadata") {
      out[k] = v;
      continue;
    }
    // The mask where a sealed value was is that credential sent back, whatever the field is called.
    const credential =
      typeof v === "string" &&
      (isCredentialKey(k) || (inHeaders && AUTH_VALUE.test(v)) || (v === SECRET_MASK && isSealed(prev[k])));
    if (credential) {
      const replaced = leaf(v as string, prev[k]);
      if (replaced !== undefined) out[k] = replaced;
    } else {
      out[k] = walk(v, prev[k], k.toLowerCase() === "headers", leaf);
    }
  }
  return out;
}

/**
 * Seals every credential in `value` for storage. The mask keeps what `previous` (the stored version)
 * holds at the same place, or drops the field when there is nothing; values already sealed stay as they are
 * (a saved assistant copied into a call).
 */
export function sealCredentials<T>(value: T, box: SecretBox, previous?: unknown): T {
  return walk(value, previous, false, (v, prev) => {
    if (v === SECRET_MASK) return isSealed(prev) ? prev : undefined;
    if (isSealed(v)) return v;
    return SEALED_PREFIX + box.seal(v);
  }) as T;
}

/** The clear value of one field read from storage (a tool's `server.secret` at call time). */
export function openCredential(box: SecretBox, v: string): string {
  return isSealed(v) ? box.open(v.slice(SEALED_PREFIX.length)) : v;
}

const SEALED_IN_JSON = /"vd-sealed:[^"]*"/g;

/** Last line of defence for JSON responses: any sealed value that reached a payload becomes the mask. */
export function maskSealedInJson(payload: string): string {
  return payload.includes(SEALED_PREFIX) ? payload.replace(SEALED_IN_JSON, JSON.stringify(SECRET_MASK)) : payload;
}
