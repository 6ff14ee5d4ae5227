/** At most this many words of a search are used (a pasted paragraph must not become a huge query). */
const MAX_TERMS = 16;

/**
 * A person's search text as an FTS5 query over calls_fts (migration 007): every word must occur, each as
 * a prefix (search as you type: "inv" finds "invoice", "+3161" finds "+31612345678"). Words are quoted,
 * so FTS5 syntax in the text (AND, NEAR, *, ", column filters) is only text. Null when it has no word.
 */
export function callSearchQuery(text: string): string | null {
  const words = text.normalize("NFKC").match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  return words
    .slice(0, MAX_TERMS)
    .map((w) => `"${w}"*`)
    .join(" ");
}

/** A LIKE pattern that finds `text` anywhere, its own % and _ taken literally (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
