import "../providers/register.js";
import { createTts, type ProviderContext } from "../providers/index.js";
import { wavHeader } from "../media/wav-writer.js";

/** At 16 kHz this is 60 s of speech: a preview of a first message, not a way to render long audio. */
const MAX_PREVIEW_SAMPLES = 16000 * 60;

/**
 * Speaks `text` with the TTS provider and voice an assistant would use, exactly as a call builds it (saved
 * keys, local programs), and returns the whole result as a mono 16-bit WAV for the console's <audio>.
 */
export async function previewWav(
  config: Record<string, unknown>,
  text: string,
  ctx: ProviderContext,
  signal: AbortSignal,
): Promise<Buffer> {
  const tts = createTts(config, ctx);
  try {
    const chunks: Buffer[] = [];
    let samples = 0;
    for await (const chunk of tts.synthesize({ text, signal })) {
      const take = Math.min(chunk.length, MAX_PREVIEW_SAMPLES * (tts.sampleRateHz / 16000) - samples);
      if (take <= 0) break;
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, take * 2));
      samples += take;
    }
    const data = Buffer.concat(chunks);
    return Buffer.concat([wavHeader(data.length, tts.sampleRateHz, 1), data]);
  } finally {
    tts.close?.();
  }
}
