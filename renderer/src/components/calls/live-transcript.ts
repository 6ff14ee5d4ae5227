// The live transcript's logic: joining the lines a call page loaded with those streamed since, and when
// to follow the newest line, and the lines still being spoken (partials). Unit-tested in
// test/unit/live-board.test.ts.
import type { CallMessage } from "../../api/types";
import type { LiveLine } from "../live/live-board";

export type { LiveLine };

const same = (a: CallMessage, b: CallMessage) => a.role === b.role && a.content === b.content && a.at === b.at;

/**
 * The transcript: the loaded lines (which may already hold some streamed ones, after a reload) then the
 * streamed lines they do not have; a loaded line keeps the marks its streamed twin carried.
 */
export function mergeLines(loaded: readonly CallMessage[], streamed: readonly LiveLine[]): LiveLine[] {
  const out: LiveLine[] = loaded.map((m) => streamed.find((s) => same(s, m)) ?? m);
  for (const s of streamed) if (!loaded.some((m) => same(m, s))) out.push(s);
  return out;
}

/** What kind of line it is, for its mark: a scripted `say`, a note (injected context), a person's, or plain. */
export function lineKind(l: LiveLine): "say" | "note" | "operator" | "user" | "assistant" {
  if (l.role === "system") return "note";
  if (l.origin === "say") return "say";
  if (l.operator) return "operator";
  return l.role;
}

/**
 * Whether the view follows new lines: it does while the newest is in view (within `slackPx` of the
 * bottom); once the person scrolls up to read, it stays put and offers "Jump to latest".
 */
export function atBottom(el: { scrollTop: number; clientHeight: number; scrollHeight: number }, slackPx = 24): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight <= slackPx;
}

/** Whose line a partial is: the caller's, or a person's at the console (during a takeover). */
export type InterimKind = "user" | "operator";

/** A line still being spoken, as the recognizer has it so far (`call.partial`). */
export interface InterimLine {
  kind: InterimKind;
  text: string;
  /** That speaker's line number in the call: the final `call.message` with this `turn` replaces it. */
  turn: number;
}

/** The lines in progress, and each speaker's last final turn (a partial for it, arriving late, is stale). */
export interface Interims {
  lines: InterimLine[];
  finalTurn: Record<InterimKind, number>;
}

export const noInterims = (): Interims => ({ lines: [], finalTurn: { user: 0, operator: 0 } });

const kindOf = (role: string, speaker?: string): InterimKind | null =>
  role === "user" ? "user" : role === "assistant" && speaker === "operator" ? "operator" : null;

/**
 * A `call.partial`: the speaker's line in progress updates in place (one line per speaker, where it first
 * appeared), a later turn's partial replaces a line left from an earlier one, an empty text takes it back,
 * and a partial for a turn already final (or older than the one shown) changes nothing.
 */
export function withPartial(s: Interims, p: { role: string; speaker?: string; text: string; turn: number }): Interims {
  const kind = kindOf(p.role, p.speaker);
  if (!kind || p.turn <= s.finalTurn[kind]) return s;
  const at = s.lines.findIndex((l) => l.kind === kind);
  const shown = at >= 0 ? s.lines[at]! : null;
  if (shown && shown.turn > p.turn) return s;
  if (!p.text) return shown ? { ...s, lines: s.lines.filter((_, i) => i !== at) } : s;
  const line: InterimLine = { kind, text: p.text, turn: p.turn };
  return { ...s, lines: shown ? s.lines.map((l, i) => (i === at ? line : l)) : [...s.lines, line] };
}

/**
 * A final line (`call.message`): it supersedes its speaker's partials up to its `turn`; without a turn (an
 * engine that does not number lines), whatever that speaker's partial was.
 */
export function withFinal(s: Interims, m: { role: string; speaker?: string; turn?: number }): Interims {
  const kind = kindOf(m.role, m.speaker);
  if (!kind) return s;
  const upTo = m.turn ?? Infinity;
  const lines = s.lines.filter((l) => l.kind !== kind || l.turn > upTo);
  const finalTurn = m.turn ? { ...s.finalTurn, [kind]: Math.max(s.finalTurn[kind], m.turn) } : s.finalTurn;
  return lines.length === s.lines.length && finalTurn === s.finalTurn ? s : { lines, finalTurn };
}
