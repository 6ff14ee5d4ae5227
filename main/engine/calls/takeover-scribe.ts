import type { SpeechToText } from "../providers/stt/types.js";
import type { TurnTaking } from "../voice/assistant-config.js";
import { sileroVad, type VadFactory } from "../voice/vad.js";
import { TurnDetector, MIN_UTTERANCE_MS } from "../voice/turn-detector.js";
import { UtteranceBuffer } from "../voice/utterance-buffer.js";
import { Recognizer } from "../voice/recognizer.js";

/** Who spoke a line while a person had the call. */
export type TakeoverSpeaker = "caller" | "person";

/** One transcribed stretch of speech; `startedAt` (performance.now) orders lines from both sides. */
export interface TakeoverLine {
  speaker: TakeoverSpeaker;
  text: string;
  startedAt: number;
}

export interface TakeoverScribeOptions {
  /** The assistant's configured recognizer; the scribe opens one recognition per side on it. */
  stt: SpeechToText;
  language: string;
  keyterms: string[];
  /** A line is ready: the call stores it. */
  line(line: TakeoverLine): void;
  /**
   * What a streaming recognizer has so far of a side's line in progress, for display ("" takes it back:
   * the speech made no line). Batch recognizers give none.
   */
  partial?(speaker: TakeoverSpeaker, text: string): void;
  problem(message: string): void;
  /** Silero unless a test scripts one. */
  vad?: VadFactory;
}

const RATE = 8000;
const PREROLL_MS = 350;
const MAX_VAD_LAG_MS = 1650;
const MAX_SEGMENT_MS = 60_000;
/** How long `finish` waits for recognitions still running before the hand-back goes on without them. */
const FINISH_TIMEOUT_MS = 6000;
/**
 * Segments end after ~700 ms of quiet (the detector ends speech 300 ms before its minimum delay): people
 * talking to each other pause inside sentences, and a line per breath would make a choppy summary.
 * Nothing is answered here, so the usual short endpointing buys nothing.
 */
const SEGMENTING: TurnTaking = {
  endpointingMinMs: 1000,
  endpointingMaxMs: 1000,
  interruptionMinMs: 300,
  interruptionMinWords: 0,
  falseInterruptionMs: null,
};

/**
 * Writes down what is said while a person has the call, on both sides (the caller's audio and the
 * person's), so the assistant can be told what happened when the call is handed back. Each side is cut
 * into speech segments by the same VAD and turn detector the voice session uses, and each segment goes
 * to the assistant's own recognizer. Inference stays off the media loop: the VAD runs in its thread and
 * the recognizers in their processes (or across the network); here only buffers move.
 */
export class TakeoverScribe {
  private readonly ears: Record<TakeoverSpeaker, Ear>;
  private readonly written: TakeoverLine[] = [];
  private closed = false;

  constructor(private readonly o: TakeoverScribeOptions) {
    const line = (l: TakeoverLine) => {
      if (this.closed) return;
      this.written.push(l);
      o.line(l);
    };
    this.ears = { caller: new Ear("caller", o, line), person: new Ear("person", o, line) };
  }

  /** 8 kHz frames of the caller, as the leg hands them on. */
  caller(pcm: Int16Array): void {
    if (!this.closed) this.ears.caller.frame(pcm);
  }

  /** 8 kHz frames of the person's voice, as their console sends them. */
  person(pcm: Int16Array): void {
    if (!this.closed) this.ears.person.frame(pcm);
  }

  /**
   * Ends the speech still going on each side, waits (up to FINISH_TIMEOUT_MS) for the recognitions in
   * flight and returns every line, oldest first. The scribe hears nothing after this.
   */
  async finish(): Promise<TakeoverLine[]> {
    const pending = [this.ears.caller.finish(), this.ears.person.finish()];
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, FINISH_TIMEOUT_MS).unref())]);
    this.close();
    return [...this.written].sort((a, b) => a.startedAt - b.startedAt);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ears.caller.close();
    this.ears.person.close();
  }
}

/** One side of the call: its turn detector, the audio of the current segment, and its recognizer. */
class Ear {
  private readonly buffer = new UtteranceBuffer(RATE, PREROLL_MS + MAX_VAD_LAG_MS, MAX_SEGMENT_MS);
  private readonly turns: TurnDetector;
  private readonly recognizer: Recognizer;
  private readonly inFlight = new Set<Promise<void>>();
  private speechStartAt = 0;
  /** Set by `finish`: audio after it belongs to the assistant again. */
  private stopped = false;
  private closed = false;

  constructor(
    private readonly speaker: TakeoverSpeaker,
    private readonly o: TakeoverScribeOptions,
    private readonly line: (l: TakeoverLine) => void,
  ) {
    this.recognizer = new Recognizer(o.stt, o.language, o.keyterms, o.problem, RATE, (text) => {
      if (!this.closed) o.partial?.(speaker, text);
    });
    // No leg for the VAD to tap: the person's audio never passes the media worker, and a tap of the
    // caller's would let the VAD hold playout at their onset (a barge-in rule that is not ours here).
    this.turns = new TurnDetector(
      SEGMENTING,
      (onProbability) => (o.vad ?? sileroVad)(onProbability),
      {
        speechStarted: (lateMs) => this.started(lateMs),
        speaking: () => undefined,
        pausing: () => undefined,
        speechEnded: (e) => this.ended(e.speechMs, e.endedAt),
      },
      () => performance.now(),
    );
  }

  frame(pcm: Int16Array): void {
    if (this.stopped) return;
    if (this.turns.inSpeech) {
      this.buffer.append(pcm);
      this.recognizer.write(pcm);
    } else this.buffer.pushPreroll(pcm);
    this.turns.push(pcm);
  }

  private started(lateMs: number): void {
    const backMs = Math.min(lateMs + PREROLL_MS, this.buffer.prerollMs);
    this.speechStartAt = performance.now() - backMs;
    this.recognizer.speechStarted(this.buffer.begin(backMs));
  }

  private ended(speechMs: number, endedAt: number): void {
    const audio = this.buffer.take();
    if (speechMs < MIN_UTTERANCE_MS) return;
    this.transcribe(audio, this.speechStartAt, endedAt);
  }

  private transcribe(audio: Int16Array, startedAt: number, endedAt: number): void {
    const job = this.recognizer
      .recognize(audio, startedAt, endedAt)
      .then(({ text }) => {
        const words = text.trim();
        if (words) this.line({ speaker: this.speaker, text: words, startedAt });
        else this.o.partial?.(this.speaker, "");
      })
      .catch((err: Error) => {
        this.o.problem(`Transcribing the ${this.speaker} during the takeover: ${err.message}`);
        this.o.partial?.(this.speaker, "");
      })
      .finally(() => this.inFlight.delete(job));
    this.inFlight.add(job);
  }

  /** Speech still going on counts as ended now; resolves once every recognition has answered. */
  async finish(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.turns.inSpeech && this.buffer.samples > 0) {
      const speechMs = (this.buffer.samples * 1000) / RATE;
      const audio = this.buffer.take();
      if (speechMs >= MIN_UTTERANCE_MS) this.transcribe(audio, this.speechStartAt, performance.now());
    }
    this.turns.close();
    await Promise.all([...this.inFlight]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = this.stopped = true;
    this.turns.close();
    this.recognizer.close();
  }
}
