import type { ChatMessage } from "../providers/llm/types.js";

/** A sentence as queued for playout: samples [start, end) of the call's agent audio. */
export interface Segment {
  text: string;
  start: number;
  end: number;
}

/** One thing the assistant says: LLM turns, the greeting, `say`, fallback lines, silence checks. */
export class Reply {
  readonly abort = new AbortController();
  readonly segments: Segment[] = [];
  finished = false;
  /** Preemptive replies: prepared from the caller's words before the turn is final; silent until `notBefore`. */
  notBefore = 0;
  userMessage: ChatMessage | null = null;
  /** The turn became final (the caller stayed quiet through the endpointing delay): the reply may speak and act. */
  committed = true;
  constructor(readonly source: "llm" | "scripted") {}

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }
  get text(): string {
    return this.segments.map((s) => s.text).join(" ");
  }

  /** The words that had been played at sample `at`: whole segments plus the played share of the current one. */
  heardAt(at: number): string {
    const words: string[] = [];
    for (const s of this.segments) {
      if (at >= s.end) {
        words.push(s.text);
        continue;
      }
      if (at <= s.start) break;
      const parts = s.text.split(/\s+/);
      const n = Math.floor((parts.length * (at - s.start)) / Math.max(1, s.end - s.start));
      if (n > 0) words.push(parts.slice(0, n).join(" "));
      break;
    }
    return words.join(" ");
  }
}
