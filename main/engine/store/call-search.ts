/** At most this many words of a search are used (a pasted paragraph must not become a huge query). */
const MAX_TERMS = 16;

/**
 * A person's search text as an FTS5 query over calls_fts (migration 007): every word must occur, each as
 * a prefix (search as you type: "inv" finds "invoice", "+3161" finds "+31612345678"; a one-letter word
 * only as itself, or it would expand to most of the index). Words are quoted, so FTS5 syntax in the text
 * (AND, NEAR, *, ", column filters) is only text. `numbers`: phone numbers whose name matched the text;
 * their calls match too. Null when there is nothing to look for.
 */
export function callSearchQuery(text: string, numbers: readonly string[] = []): string | null {
  const words = text.normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? [];
  const all = words
    .slice(0, MAX_TERMS)
    .map((w) => (w.length > 1 ? `"${w}"*` : `"${w}"`))
    .join(" ");
  const phones = numbers.map((n) => n.replace(/\D/g, "")).filter(Boolean);
  const named = phones.length ? `numbers : (${phones.map((p) => `"${p}"`).join(" OR ")})` : "";
  if (all && named) return `(${all}) OR (${named})`;
  return all || named || null;
}

/** A LIKE pattern that finds `text` anywhere, its own % and _ taken literally (ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
