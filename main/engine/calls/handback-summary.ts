import type { ChatMessage } from "../providers/llm/types.js";
import type { CallMessage } from "../domain/call.js";
import type { TakeoverLine } from "./takeover-scribe.js";

const WHO = { person: "Colleague", caller: "Caller" } as const;

/**
 * The system message an assistant gets when a person hands a call back: how long the person had it and
 * what both sides said meanwhile (as the recognizer heard it), so the model picks up from there instead
 * of from where it was stopped. Consecutive lines of one side are joined: a segment ends at every pause.
 */
export function handbackSummary(lines: readonly TakeoverLine[], heldMs: number): string {
  const seconds = Math.max(1, Math.round(heldMs / 1000));
  const turns: { speaker: TakeoverLine["speaker"]; text: string }[] = [];
  for (const l of lines) {
    const last = turns.at(-1);
    if (last && last.speaker === l.speaker) last.text += ` ${l.text}`;
    else turns.push({ speaker: l.speaker, text: l.text });
  }
  const said = turns.length
    ? `What was said meanwhile (transcribed, may contain errors):\n${turns.map((t) => `${WHO[t.speaker]}: ${t.text}`).join("\n")}`
    : "Nothing that could be transcribed was said meanwhile.";
  return [
    `A human colleague took over the call for ${seconds} s and has now handed it back to you.`,
    said,
    "Continue the conversation from here; do not repeat what the colleague said.",
  ].join("\n");
}

/** Stored transcript lines as the model's history (every stored role is one the model knows). */
export const chatHistory = (messages: readonly CallMessage[]): ChatMessage[] =>
  messages.map((m) => ({ role: m.role, content: m.content }));
