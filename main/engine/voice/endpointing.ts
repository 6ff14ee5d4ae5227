/**
 * What the recognizer's text says about the end of a turn (issue #14): a finished sentence lets the turn
 * end sooner than the endpointing delay, an unfinished one waits up to the maximum delay. Nothing here
 * runs a model: it reads the punctuation a recognizer put in, its confidence, and the last word.
 */
export type TurnEnd = "finished" | "unfinished" | "unknown";

/** Fillers and conjunctions after which a caller is rarely done ("…and", "um"), or a trailing comma/ellipsis. */
const CONTINUES = /\b(and|but|so|or|because|um+|uh+|er+|hmm+|like|then)[\s,…]*$|(,|…|\.\.\.)\s*$/i;
/**
 * Words a sentence almost never ends on: what PocketSphinx prints when the caller pauses mid-sentence
 * ("I'd like to", "it's for the"). Punctuation-free recognizers give no other hint.
 */
const DANGLING = /\b(a|an|the|to|of|for|with|my|your|our|their|is|are|was|were|am|i|i'm|we're|if|than|very)\s*$/i;
/** A final from a recognizer that reports confidence, at or above this, counts as a finished sentence. */
const CONFIDENT = 0.85;

export function turnEnd(text: string, confidence?: number): TurnEnd {
  const t = text.trim();
  if (!t) return "unknown";
  if (CONTINUES.test(t)) return "unfinished";
  if (/[.!?]["')\]]?\s*$/.test(t)) return "finished";
  if (DANGLING.test(t)) return "unfinished";
  if (confidence !== undefined && confidence >= CONFIDENT) return "finished";
  return "unknown";
}
