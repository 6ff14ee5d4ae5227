export interface TtsRequest {
  text: string;
  signal: AbortSignal;
}

/**
 * Text to speech. `synthesize` yields mono 16-bit PCM at `sampleRateHz` as soon as each piece exists
 * (streaming providers yield many chunks, batch ones one); the pipeline resamples to the call's rate.
 */
export interface TextToSpeech {
  readonly provider: string;
  readonly voiceId: string;
  readonly local: boolean;
  readonly sampleRateHz: number;
  /** A program this provider runs (looked up on PATH by the assistant check), when it runs one. */
  readonly program?: string;
  synthesize(request: TtsRequest): AsyncIterable<Int16Array>;
  close?(): void;
}
