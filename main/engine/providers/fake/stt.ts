import type {
  SpeechToText,
  StreamingSpeechToText,
  SttRequest,
  SttResult,
  SttStream,
  SttStreamOptions,
} from "../stt/types.js";
import { sleep } from "./sleep.js";

/** What the fake recognizes for the next utterance: text, or a failure. */
export type FakeSttResult = string | Error;

export interface FakeSttOptions {
  /** Results in order, one per utterance; when they run out, every utterance is `fallback`. */
  results?: FakeSttResult[];
  fallback?: string;
  /** Recognition time per utterance. */
  delayMs?: number;
  sampleRateHz?: 8000 | 16000;
  /** Confidence reported with each result; none by default, as PocketSphinx gives none. */
  confidence?: number;
}

/** Scripted speech to text: hands out the given transcripts in order, each after `delayMs`. */
export class FakeStt implements SpeechToText {
  readonly provider = "fake";
  readonly local = true;
  readonly sampleRateHz: 8000 | 16000;
  private readonly results: FakeSttResult[];
  /** Every utterance it was given, in order. */
  readonly requests: { samples: number; sampleRateHz: number; language: string }[] = [];

  constructor(private readonly o: FakeSttOptions = {}) {
    this.results = [...(o.results ?? [])];
    this.sampleRateHz = o.sampleRateHz ?? 8000;
  }

  /** Adds transcripts for the utterances still to come. */
  script(...results: FakeSttResult[]): void {
    this.results.push(...results);
  }

  async transcribe(request: SttRequest): Promise<SttResult> {
    this.requests.push({
      samples: request.audio.length,
      sampleRateHz: request.sampleRateHz,
      language: request.language,
    });
    const next = this.results.length ? this.results.shift()! : (this.o.fallback ?? "");
    await sleep(this.o.delayMs ?? 0, request.signal);
    if (next instanceof Error) throw next;
    return this.o.confidence === undefined ? { text: next } : { text: next, confidence: this.o.confidence };
  }
}

/**
 * A streaming recognizer (SttStream) on the same script: each turn's text comes from `finish`, and the test
 * says what the recognizer "has so far" with `partial`, as PocketSphinx's segments or Deepgram's interims do.
 */
export class FakeStreamingStt extends FakeStt implements StreamingSpeechToText {
  private current: { onPartial?: (text: string) => void; closed: boolean } | null = null;
  /** Samples written to the open stream. */
  written = 0;

  constructor(o: Omit<FakeSttOptions, "sampleRateHz"> = {}) {
    super({ ...o, sampleRateHz: 16000 });
  }

  /** The open stream's recognizer has `text` so far of the turn in progress. */
  partial(text: string): void {
    if (this.current && !this.current.closed) this.current.onPartial?.(text);
  }

  stream(opts: SttStreamOptions): SttStream {
    const state = { onPartial: opts.onPartial, closed: false };
    this.current = state;
    return {
      write: (pcm) => {
        this.written += pcm.length;
      },
      finish: () =>
        this.transcribe({
          audio: new Int16Array(0),
          sampleRateHz: 16000,
          language: opts.language,
          signal: new AbortController().signal,
        }),
      close: () => {
        state.closed = true;
      },
    };
  }
}
