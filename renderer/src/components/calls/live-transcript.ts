// The live transcript's logic: joining the lines a call page loaded with those streamed since, and when
// to follow the newest line. Unit-tested in test/unit/live-board.test.ts.
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
