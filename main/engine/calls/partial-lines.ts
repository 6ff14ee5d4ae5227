import type { CallPartialEvent } from "../domain/call.js";

/** Whose line is in progress: the caller's (role user), or a person's at the console during a takeover. */
export type PartialSpeaker = "caller" | "person";

/**
 * A recognizer may put out text many times a second (Deepgram's interims, a segment per short pause): one
 * event per 200 ms per call keeps the stream and the consoles' rendering cheap, and still reads as live.
 */
export const PARTIAL_INTERVAL_MS = 200;

export type PartialLine = Omit<CallPartialEvent, "type" | "call_id">;

/**
 * One call's lines in progress (`call.partial`, display only) and how they are numbered against the final
 * lines: each speaker's lines are counted, a partial belongs to that speaker's next line, and a final line
 * takes the number its partials carried. Partials are rate-limited per call: the newest text of each
 * speaker waits for the next free slot (older text of the same line is replaced, never queued), and a
 * final line drops its speaker's partial still waiting, so no partial arrives after the line it led to.
 */
export class PartialLines {
  private readonly lines: Record<PartialSpeaker, number> = { caller: 0, person: 0 };
  /** What the stream last said of each speaker's line in progress ("" when nothing is shown). */
  private readonly shown: Record<PartialSpeaker, string> = { caller: "", person: "" };
  /** Newest text per speaker not yet sent; Map order is the order they asked. */
  private readonly waiting = new Map<PartialSpeaker, string>();
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly publish: (partial: PartialLine) => void,
    private readonly intervalMs = PARTIAL_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `who`'s line so far (the whole text); "" takes a shown partial back. */
  update(who: PartialSpeaker, text: string): void {
    if (this.closed) return;
    const t = text.trim();
    if (t === this.shown[who]) {
      this.waiting.delete(who);
      return;
    }
    this.waiting.set(who, t);
    this.schedule();
  }

  /** `who`'s line is final (stored and streamed as a message): the turn number that message carries. */
  final(who: PartialSpeaker): number {
    this.waiting.delete(who);
    this.shown[who] = "";
    return ++this.lines[who];
  }

  /** Every shown partial is taken back (the session that heard them stopped mid-line). */
  clear(who: PartialSpeaker): void {
    this.update(who, "");
  }

  close(): void {
    this.closed = true;
    this.waiting.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || !this.waiting.size) return;
    const wait = this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0) {
      this.sendOne();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sendOne();
    }, wait);
    this.timer.unref();
  }

  private sendOne(): void {
    const next = this.waiting.entries().next();
    if (next.done) return;
    const [who, text] = next.value;
    this.waiting.delete(who);
    this.shown[who] = text;
    this.lastSentAt = this.now();
    this.publish({
      role: who === "caller" ? "user" : "assistant",
      ...(who === "person" ? { speaker: "operator" as const } : {}),
      text,
      turn: this.lines[who] + 1,
    });
    this.schedule();
  }
}
