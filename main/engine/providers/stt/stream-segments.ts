/**
 * Which recognized segments belong to which turn, by position in the audio the recognizer was given, not
 * by when its text arrived. A recognizer on a busy machine runs seconds behind: matched by arrival, the
 * first half of a turn split by a short pause came back as the second half's text and the second half's
 * words were lost (issue #14). Positions are samples of the stream as written, silence bursts included.
 */

export interface Segment {
  text: string;
  /** First and last sample of the segment in the stream, as the recognizer timed it. */
  start: number;
  end: number;
  /** When its text came out of the recognizer (performance.now()); set on arrival. */
  arrivedAt?: number;
}

/** A turn's text, and when the recognizer had all of it (performance.now()): it may be before it was asked. */
export interface TurnText {
  text: string;
  readyAt: number;
}

interface Pending {
  /** Stream position where the turn's speech began and ended, and where its closing silence was written. */
  from: number;
  speechEnd: number;
  boundary: number;
  resolve: (t: TurnText) => void;
  timer: NodeJS.Timeout;
}

/** Session time → stream position, for the last MARKS writes (a few seconds of 20 ms frames). */
const MARKS = 512;

export class StreamSegments {
  private readonly segments: Segment[] = [];
  private readonly pending: Pending[] = [];
  private readonly markAt = new Float64Array(MARKS);
  private readonly markPos = new Float64Array(MARKS);
  private marks = 0;
  /** Samples written so far. */
  written = 0;
  /** Where the turn in progress began: the boundary of the last turn taken. Later segments are its partials. */
  private openFrom = 0;

  /** Records a write of `samples` at session time `at`. */
  wrote(samples: number, at: number): void {
    this.written += samples;
    const i = this.marks++ % MARKS;
    this.markAt[i] = at;
    this.markPos[i] = this.written;
  }

  /** The stream position reached by the last write at or before `at` (`strict`: before). */
  positionAt(at: number, strict = false): number {
    const n = Math.min(this.marks, MARKS);
    for (let k = 1; k <= n; k++) {
      const i = (this.marks - k) % MARKS;
      if (strict ? this.markAt[i]! < at : this.markAt[i]! <= at) return this.markPos[i]!;
    }
    // Older than every mark kept: the oldest position we know (a turn longer than the ring is rare).
    return n === MARKS ? this.markPos[this.marks % MARKS]! : 0;
  }

  /**
   * The text of the turn whose speech ran from `startAt` to `endAt` (session times), whose closing silence
   * is written at the current position. Resolves once the recognizer has passed the turn's last speech
   * (a segment ends after it) or any later audio, or with what it has after `timeoutMs`.
   */
  take(startAt: number, endAt: number, timeoutMs: number): Promise<TurnText> {
    return new Promise((resolve) => {
      const p: Pending = {
        from: this.positionAt(startAt, true),
        speechEnd: this.positionAt(endAt),
        boundary: this.written,
        resolve,
        timer: setTimeout(() => this.settle(p), timeoutMs),
      };
      this.openFrom = this.written;
      this.pending.push(p);
      this.check();
    });
  }

  /** A segment came out of the recognizer. */
  add(segment: Segment): void {
    segment.arrivedAt = performance.now();
    this.segments.push(segment);
    if (this.segments.length > 200) this.segments.shift();
    this.check();
    // A late segment of a turn already taken is that turn's final text, not the open turn's partial.
    if (this.partial && segment.text && segment.start >= this.openFrom)
      this.partial(
        this.segments
          .filter((s) => s.start >= this.openFrom && s.text)
          .map((s) => s.text)
          .join(" "),
      );
  }

  /** Every waiting turn gets what there is (the stream stopped). */
  close(): void {
    while (this.pending.length) this.settle(this.pending[0]!);
  }

  // The recognizer's segment end and our "last loud sample" differ by its detector's own judgement: a
  // segment ending within this of the speech end is the turn's last.
  private readonly slack: number;

  /** `partial`: the open turn's text so far, each time a segment of it comes out (SttStreamOptions.onPartial). */
  constructor(
    rateHz: number,
    private readonly partial?: (text: string) => void,
  ) {
    this.slack = rateHz * 0.1;
  }

  /** The segment that shows the recognizer has passed the turn's end, if one has come. */
  private ready(p: Pending): Segment | undefined {
    return this.segments.find((s) => s.end >= p.speechEnd - this.slack || s.start >= p.boundary);
  }

  // In order: an earlier turn is answered before a later one, as the session heard them.
  private check(): void {
    for (let s: Segment | undefined; this.pending.length && (s = this.ready(this.pending[0]!));)
      this.settle(this.pending[0]!, s.arrivedAt);
  }

  /** `readyAt`: when the segment that completed the turn arrived; now when it timed out or the stream stopped. */
  private settle(p: Pending, readyAt = performance.now()): void {
    clearTimeout(p.timer);
    const at = this.pending.indexOf(p);
    if (at >= 0) this.pending.splice(at, 1);
    const words: string[] = [];
    // Segments before the boundary are this turn's (or noise before it, dropped): none is used twice.
    for (let i = 0; i < this.segments.length;) {
      const s = this.segments[i]!;
      if (s.start >= p.boundary) {
        i++;
        continue;
      }
      if (s.end > p.from && s.text) words.push(s.text);
      this.segments.splice(i, 1);
    }
    p.resolve({ text: words.join(" "), readyAt });
  }
}

const WORD_TIME = /^(\S+) (\d+\.\d+) (\d+\.\d+) [-\d.e]+$/;

/**
 * Reads `pocketsphinx_continuous -time yes` output: a hypothesis line (empty when nothing was
 * recognized), then one line per word with its start and end in seconds, `<s>` first and `</s>` last.
 */
export class TimedTranscriptParser {
  private current: Segment | null = null;

  constructor(
    private readonly rateHz: number,
    private readonly emit: (segment: Segment) => void,
  ) {}

  line(raw: string): void {
    const line = raw.trim();
    const word = WORD_TIME.exec(line);
    if (!word) {
      this.flush();
      this.current = { text: line, start: Infinity, end: -Infinity };
      return;
    }
    if (!this.current) return;
    this.current.start = Math.min(this.current.start, Number(word[2]) * this.rateHz);
    this.current.end = Math.max(this.current.end, Number(word[3]) * this.rateHz);
    if (word[1] === "</s>") this.flush();
  }

  private flush(): void {
    const s = this.current;
    this.current = null;
    if (s && Number.isFinite(s.start)) this.emit(s);
  }
}
