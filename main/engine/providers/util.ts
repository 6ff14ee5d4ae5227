/** Small helpers the vendor modules share: reading loose config values and making errors safe to show. */

export const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
export const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
/** A setting that only makes sense above zero (timeouts): anything else means "use the default". */
export const positive = (v: unknown): number | undefined => (typeof v === "number" && v > 0 ? v : undefined);
/** The strings of a list setting (keyterms), or undefined when it is not a list. */
export const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((k): k is string => typeof k === "string") : undefined;

/** Some gateways quote the key back in their error bodies: never show it. */
export const redact = (text: string, key: string): string => (key ? text.split(key).join("***") : text);

/** fetch() wraps the real network error in `cause`. */
export const causeMessage = (err: unknown): string =>
  (err as { cause?: Error })?.cause?.message ?? (err as Error)?.message ?? String(err);

/** The start of an error body that is not the vendor's JSON (a proxy's page). */
export const bodyStart = (body: string): string => body.replace(/\s+/g, " ").trim().slice(0, 200);

/**
 * The vendor's own error message from its JSON error body; `pick` knows where that vendor puts it. A body
 * that is not JSON, or has no message there, is a proxy's page: its start is shown instead.
 */
export function errorDetailFrom(body: string, pick: (json: any) => unknown): string {
  try {
    const msg = pick(JSON.parse(body));
    if (typeof msg === "string") return msg;
  } catch {
    /* not JSON, or not the vendor's shape */
  }
  return bodyStart(body);
}
