import libsamplerate from "@alexanderolsen/libsamplerate-js";

const { create, ConverterType } = libsamplerate;
type Converter = Awaited<ReturnType<typeof create>>;

const converters = new Map<string, Promise<Converter>>();

/** One converter per rate pair, shared: `simple()` keeps no state between calls. */
function converter(from: number, to: number): Promise<Converter> {
  const key = `${from}:${to}`;
  let c = converters.get(key);
  if (!c) {
    c = create(1, from, to, { converterType: ConverterType.SRC_SINC_FASTEST });
    converters.set(key, c);
  }
  return c;
}

/**
 * Resamples one whole piece of 16-bit PCM (an utterance, a synthesized sentence) with libsamplerate's
 * sinc converter; a naive resampler would alias, which hurts recognition and sounds harsh on the phone.
 */
export async function resample(pcm: Int16Array, from: number, to: number): Promise<Int16Array> {
  if (from === to || pcm.length === 0) return pcm;
  const c = await converter(from, to);
  const input = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) input[i] = pcm[i] / 32768;
  const out = c.simple(input);
  const result = new Int16Array(out.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(out[i] * 32768);
    result[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return result;
}
