/** One finished utterance of caller audio, already at the rate the provider asked for. */
export interface SttRequest {
  audio: Int16Array;
  sampleRateHz: number;
  /** BCP-47-ish code from stt_config.language (`en`, `nl`, `multi`…). */
  language: string;
  /** Words to favour (stt_config.keyterms), where the provider supports it. */
  keyterms?: string[];
  signal: AbortSignal;
}

export interface SttResult {
  text: string;
  /** Provider-reported confidence 0–1 when it gives one. */
  confidence?: number;
}

/**
 * Speech to text for one caller utterance. Providers are per call (created from stt_config and keys);
 * each one runs its work off the media loop (a child process, a native thread, or the network).
 */
export interface SpeechToText {
  readonly provider: string;
  /** True when audio never leaves this machine. */
  readonly local: boolean;
  /** The sample rate this provider wants; the pipeline resamples to it. */
  readonly sampleRateHz: 8000 | 16000;
  transcribe(request: SttRequest): Promise<SttResult>;
  close?(): void;
}
