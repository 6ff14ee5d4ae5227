const ABBREVIATIONS = new Set(["mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "approx"]);

/**
 * Cuts streamed LLM text into sentences for TTS, so the first one can be spoken while the rest is still
 * being written. A boundary is . ! ? (or a newline) followed by whitespace, except after common
 * abbreviations and between digits ("3.5").
 */
export class SentenceChunker {
  private buffer = "";
  private emitted = false;

  /**
   * `firstClauseWords` > 0: the first piece may end at a clause (a comma, semicolon, colon or dash) once
   * it has that many words, so synthesis starts before the model has finished the first sentence.
   */
  constructor(private readonly firstClauseWords = 0) {}

  /** Adds a delta; returns the sentences it completed. */
  push(delta: string): string[] {
    this.buffer += delta;
    const out: string[] = [];
    if (!this.emitted && this.firstClauseWords > 0) {
      const clause = /[,;:—–]\s/.exec(this.buffer);
      const sentence = /[.!?…\n]\s/.exec(this.buffer);
      if (clause && (!sentence || clause.index < sentence.index)) {
        const candidate = this.buffer.slice(0, clause.index + 1).trim();
        if (wordCount(candidate) >= this.firstClauseWords) {
          out.push(candidate);
          this.buffer = this.buffer.slice(clause.index + clause[0].length);
        }
      }
    }
    let start = 0;
    const re = /([.!?…]+["')\]]?|\n)(\s+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.buffer))) {
      const end = m.index + m[1].length;
      const candidate = this.buffer.slice(start, end).trim();
      const lastWord = /([A-Za-z.]+)\.$/.exec(candidate)?.[1]?.toLowerCase();
      if (lastWord && ABBREVIATIONS.has(lastWord)) continue;
      if (candidate) out.push(candidate);
      start = m.index + m[0].length;
    }
    this.buffer = this.buffer.slice(start);
    if (out.length) this.emitted = true;
    return out;
  }

  /** What is left when the stream ends. */
  flush(): string | null {
    const rest = this.buffer.trim();
    this.buffer = "";
    return rest || null;
  }
}

export const wordCount = (text: string): number => (text.match(/[\p{L}\p{N}]+/gu) ?? []).length;
