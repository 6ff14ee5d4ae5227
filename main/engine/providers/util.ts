/** Small helpers the vendor modules share: reading loose config values and making errors safe to show. */

export const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
export const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Some gateways quote the key back in their error bodies: never show it. */
export const redact = (text: string, key: string): string => (key ? text.split(key).join("***") : text);

/** fetch() wraps the real network error in `cause`. */
export const causeMessage = (err: unknown): string => ((err as { cause?: Error })?.cause?.message ?? (err as Error)?.message ?? String(err));

/** The start of an error body that is not the vendor's JSON (a proxy's page). */
export const bodyStart = (body: string): string => body.replace(/\s+/g, " ").trim().slice(0, 200);
