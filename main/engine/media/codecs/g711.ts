import alawmulaw from "alawmulaw";
import type { G711Codec } from "./codec.js";

export type { Codec, G711Codec } from "./codec.js";

const { alaw, mulaw } = alawmulaw as unknown as typeof import("alawmulaw");

/** Lookup tables built once from alawmulaw: 64 Ki entries to encode, 256 to decode. */
function tables(law: { encodeSample(s: number): number; decodeSample(b: number): number }) {
  const enc = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) enc[i] = law.encodeSample(i - 32768);
  const dec = new Int16Array(256);
  for (let b = 0; b < 256; b++) dec[b] = law.decodeSample(b);
  return { enc, dec };
}

function g711(
  pt: number,
  name: "PCMU" | "PCMA",
  law: { encodeSample(s: number): number; decodeSample(b: number): number },
): G711Codec {
  let t: ReturnType<typeof tables> | null = null;
  const get = () => (t ??= tables(law));
  return {
    pt,
    name,
    clockRateHz: 8000,
    channels: 1,
    maxPayloadBytes: 160,
    encode(src, dst) {
      const { enc } = get();
      const n = Math.min(src.length, dst.length);
      for (let i = 0; i < n; i++) dst[i] = enc[src[i] + 32768];
      return n;
    },
    decode(src, dst) {
      const { dec } = get();
      const n = Math.min(src.length, dst.length);
      for (let i = 0; i < n; i++) dst[i] = dec[src[i]];
      return n;
    },
  };
}

export const PCMU = g711(0, "PCMU", mulaw);
export const PCMA = g711(8, "PCMA", alaw);
export const CODECS: readonly G711Codec[] = [PCMU, PCMA];
export const codecByName = (name: string): G711Codec | undefined => CODECS.find((c) => c.name === name.toUpperCase());
