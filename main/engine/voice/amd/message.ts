import { resample } from "../../media/resample.js";
import type { TextToSpeech } from "../../providers/tts/types.js";

/**
 * The voicemail message, synthesized as soon as the call is judged a machine, so it starts the moment the
 * beep ends instead of a synthesis later (the recording would otherwise open on silence, or the machine
 * hang up on a short greeting's timeout). Resolves with 8 kHz PCM, or null when synthesis failed.
 */
export async function prepareMessage(
  tts: TextToSpeech,
  text: string,
  rateHz: number,
  signal: AbortSignal,
): Promise<Int16Array | null> {
  const parts: Int16Array[] = [];
  try {
    for await (const chunk of tts.synthesize({ text, signal }))
      parts.push(await resample(chunk, tts.sampleRateHz, rateHz));
  } catch {
    return null;
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out.length ? out : null;
}
