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
  /**
   * A streaming recognizer: when it had the whole text (performance.now()), which can be before it was
   * asked. The recognizer's own time is counted from the end of speech to here (issue #14's overhead).
   */
  readyAt?: number;
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
  /** A program this provider runs (looked up on PATH by the assistant check), when it runs one. */
  readonly program?: string;
  transcribe(request: SttRequest): Promise<SttResult>;
  close?(): void;
}

/**
 * A recognizer that listens to the whole call as it happens (caller audio written in real time), so
 * most decoding is done by the time the caller stops talking.
 */
export interface SttStream {
  /** Caller audio at the provider's rate, as it arrives. Must not block or allocate per call much. */
  write(pcm: Int16Array): void;
  /**
   * Text of the speech between `speechStartAt` and `speechEndAt` (performance.now() times), once the
   * recognizer has passed its end; whatever it has after `timeoutMs` otherwise.
   */
  finish(speechStartAt: number, speechEndAt: number, timeoutMs: number): Promise<SttResult>;
  close(): void;
}

export interface SttStreamOptions {
  language: string;
  onError: (err: Error) => void;
  /**
   * What the recognizer has so far of the speech since the last `finish` (the turn in progress), each time
   * that grows or changes: the whole text, not a delta. For display only: it may still change, and the
   * turn's text is what `finish` returns. Called from the recognizer's output (a child process's lines, a
   * socket's messages), never from `write`.
   */
  onPartial?: (text: string) => void;
}

/** Providers that can listen continuously implement this beside `transcribe`. */
export interface StreamingSpeechToText extends SpeechToText {
  stream(opts: SttStreamOptions): SttStream;
}

export const isStreaming = (stt: SpeechToText): stt is StreamingSpeechToText =>
  typeof (stt as StreamingSpeechToText).stream === "function";
