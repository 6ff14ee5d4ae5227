import alawmulaw from "alawmulaw";

/** A codec as the RTP layer sees it: encode/decode into buffers the caller owns (no allocation per frame). */
export interface Codec {
  pt: number;
  name: "PCMU" | "PCMA";
  clockRateHz: number;
  channels: 1;
  encode(src: Int16Array, dst: Uint8Array): number;
  decode(src: Uint8Array, dst: Int16Array): number;
}

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
): Codec {
  let t: ReturnType<typeof tables> | null = null;
  const get = () => (t ??= tables(law));
  return {
    pt,
    name,
    clockRateHz: 8000,
    channels: 1,
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
export const CODECS: readonly Codec[] = [PCMU, PCMA];
export const codecByName = (name: string): Codec | undefined => CODECS.find((c) => c.name === name.toUpperCase());
