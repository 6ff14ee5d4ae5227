import { isStreaming, type SpeechToText, type SttResult, type SttStream } from "../providers/stt/types.js";
import { Upsampler2x } from "../media/upsample.js";
import { resample } from "../media/resample.js";

/** How long a streaming recognizer may take past the end of speech before we take what it has. */
const STREAM_FINISH_MS = 2000;
/**
 * A recognizer that has printed nothing by then is behind (a long turn on a busy machine), not done:
 * its text would otherwise arrive with the next turn and this one stay unanswered. Wait this much more.
 */
const STREAM_BEHIND_MS = 4000;
const BATCH_TIMEOUT_MS = 30_000;
const FRAME_SAMPLES = 160;

/**
 * Speech to text for the turns of one call: a recognizer that listens along (when the provider can, at
 * 16 kHz) so most decoding is done when the caller stops, or one request per finished utterance.
 */
export class Recognizer {
  /** A recognizer listening to the whole call, when the provider can (see SttStream). */
  private stream: SttStream | null = null;
  private readonly upsampler = new Upsampler2x();

  constructor(
    private readonly stt: SpeechToText,
    private readonly language: string,
    private readonly keyterms: string[],
    problem: (message: string) => void,
    private readonly rateHz: number,
    /** The text so far of the speech not yet recognized (SttStreamOptions.onPartial); streaming recognizers only. */
    onPartial?: (text: string) => void,
  ) {
    if (!isStreaming(stt) || stt.sampleRateHz !== 16000) return;
    try {
      this.stream = stt.stream({
        language,
        onError: (err) => {
          // Fall back to one recognition per utterance for the rest of the call.
          problem(err.message);
          this.stream = null;
        },
        ...(onPartial ? { onPartial } : {}),
      });
    } catch (err) {
      problem((err as Error).message);
    }
  }

  /**
   * The recognizer hears only our speech segments (with their pre-roll): its adaptation is not skewed by
   * long silences, and it decodes while the caller is still talking.
   */
  speechStarted(preroll: Int16Array): void {
    if (!this.stream) return;
    for (let i = 0; i < preroll.length; i += FRAME_SAMPLES)
      this.write(preroll.subarray(i, Math.min(i + FRAME_SAMPLES, preroll.length)));
  }

  /** Caller audio during speech, one frame at a time. */
  write(pcm: Int16Array): void {
    this.stream?.write(this.upsampler.process(pcm));
  }

  /** The turn's text, with the recognizer's confidence when it gives one (endpointing reads both). */
  async recognize(audio: Int16Array, speechStartAt: number, speechEndAt: number): Promise<SttResult> {
    if (this.stream) {
      const r = await this.stream.finish(speechStartAt, speechEndAt, STREAM_FINISH_MS);
      if (r.text.trim() || !this.stream) return r;
      return this.stream.finish(speechStartAt, speechEndAt, STREAM_BEHIND_MS);
    }
    const pcm = await resample(audio, this.rateHz, this.stt.sampleRateHz);
    const r = await this.stt.transcribe({
      audio: pcm,
      sampleRateHz: this.stt.sampleRateHz,
      language: this.language,
      keyterms: this.keyterms,
      signal: AbortSignal.timeout(BATCH_TIMEOUT_MS),
    });
    return r;
  }

  close(): void {
    this.stream?.close();
  }
}
