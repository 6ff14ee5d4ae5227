// The steer box's saved lines: kept in the engine's settings (`steer_macros`), so every console of the
// business offers the same ones. Unit-tested in test/unit/steer-macros.test.ts.

export type SteerKind = "say" | "note" | "ask";

export interface SteerMacro {
  label: string;
  kind: SteerKind;
  text: string;
}

/** The engine's limits (settings.ts): a longer label is cut, the list keeps its newest 30. */
export const MAX_LABEL = 40;
export const MAX_MACROS = 30;

/** A macro for `text`: its label is the text's first words, cut at a word within MAX_LABEL characters. */
export function macroFor(text: string, kind: SteerKind): SteerMacro {
  const clean = text.trim().replace(/\s+/g, " ");
  if (clean.length <= MAX_LABEL) return { label: clean, kind, text: clean };
  const cut = clean.slice(0, MAX_LABEL - 1);
  const atWord = cut.lastIndexOf(" ");
  return { label: `${(atWord > 10 ? cut.slice(0, atWord) : cut).trimEnd()}…`, kind, text: clean };
}

/** The list with `macro` added last; the same text and kind saved again moves it, not a second copy. */
export function withMacro(list: readonly SteerMacro[], macro: SteerMacro): SteerMacro[] {
  const rest = list.filter((m) => !(m.text === macro.text && m.kind === macro.kind));
  return [...rest, macro].slice(-MAX_MACROS);
}

export function withoutMacro(list: readonly SteerMacro[], index: number): SteerMacro[] {
  return list.filter((_, i) => i !== index);
}
