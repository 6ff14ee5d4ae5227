import { randomBytes, randomUUID } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Random base62 string; 22 chars ≈ 131 bits. Rejection sampling keeps it unbiased. */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

export const uuid = (): string => randomUUID();

/** Call ids follow the cloud product's shape (`call-outbound-…`, `call-inbound-…`); one id everywhere. */
export function newCallId(direction: "inbound" | "outbound" | "web"): string {
  return `call-${direction}-${randomBase62(16)}`;
}

export const nowIso = (): string => new Date().toISOString();
