import type { CallMessage } from "../../../../shared-types/calls";

/** One entry of GET /calls/{id}/events, the call's log (main/engine/store/calls.ts `events`). */
export interface CallEvent {
  type: string;
  data: Record<string, unknown>;
  at: string;
}

/** The logged events shown between the transcript's lines, in the order the legend lists them. */
export const MARKER_TYPES = [
  "tool_call",
  "taken_over",
  "handed_back",
  "hold",
  "unhold",
  "dtmf",
  "dtmf_sent",
  "transfer",
  "interruption",
  "do_not_call",
] as const;
export type MarkerType = (typeof MARKER_TYPES)[number];

export interface TimelineLine {
  kind: "line";
  /** Index in the call's messages. */
  index: number;
  role: CallMessage["role"];
  content: string;
  /** A person's words (the console took the call over), logged as `operator_line`. */
  operator: boolean;
  /** The caller talked over it: it holds what they heard of it. */
  interrupted: boolean;
  /** Where the line starts and ends in the recording (ms after answer); null without times. */
  startMs: number | null;
  endMs: number | null;
}

export interface TimelineMarker {
  kind: "marker";
  type: MarkerType;
  data: Record<string, unknown>;
  /** When it happened, in ms after answer; null when the call was never answered. */
  atMs: number | null;
}

export type TimelineItem = TimelineLine | TimelineMarker;

const time = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
};
const isMarker = (type: string): type is MarkerType => (MARKER_TYPES as readonly string[]).includes(type);

/**
 * The transcript on the recording's clock, with the call's logged events between its lines.
 *
 * Times come from the messages themselves: each carries `at`, stamped when it was stored — a caller's
 * line once their turn was final, an assistant's once it had been spoken (main/engine/voice/responder.ts,
 * session.ts `onSpoken`). The recording starts at answer (`started_at`, telephony/call-binding.ts), so
 * `at − started_at` is where a line *ends* in it. A spoken line is taken to start where the previous
 * one ended (the first at 0); an assistant's reply starts at its `turn` event instead when one falls in
 * that span, since that event is stored when the reply's first audio packet went out. System lines (notes
 * for the model) are never heard: they sit at their own time and are never "playing".
 *
 * Markers go before the first line stored after them, and that line starts no earlier than they do (a
 * caller's words after a hold start when the hold ended, not when the line before it did). An `interruption` is not a marker but a flag on the
 * line it cut short (stored just after it, holding what the caller heard).
 */
export function buildTimeline(
  messages: readonly CallMessage[],
  events: readonly CallEvent[],
  startedAt: string | null,
): TimelineItem[] {
  const answered = time(startedAt);
  const offset = (abs: number | null) => (abs === null || answered === null ? null : Math.max(0, abs - answered));
  const operatorLines = new Set(events.filter((e) => e.type === "operator_line").map((e) => String(e.data.content)));
  const turnsAt = events
    .filter((e) => e.type === "turn")
    .map((e) => time(e.at))
    .filter((t): t is number => t !== null);

  const lines: (TimelineLine & { abs: number | null })[] = [];
  let prevEnd: number | null = answered;
  for (const [index, m] of messages.entries()) {
    const abs = time(m.at);
    const endMs = offset(abs);
    let startMs = endMs;
    if (m.role !== "system" && abs !== null) {
      let start = prevEnd ?? abs;
      if (m.role === "assistant") {
        const firstAudio = turnsAt.filter((t) => t > start && t <= abs).at(-1);
        if (firstAudio !== undefined) start = firstAudio;
      }
      startMs = offset(Math.min(start, abs));
      prevEnd = abs;
    }
    lines.push({
      kind: "line",
      index,
      role: m.role,
      content: m.content,
      operator: m.role === "assistant" && operatorLines.has(m.content),
      interrupted: false,
      startMs,
      endMs,
      abs,
    });
  }

  const markers: (TimelineMarker & { abs: number | null })[] = [];
  for (const e of events) {
    const abs = time(e.at);
    if (e.type === "interruption") {
      // Stored right before the line it cut short (same moment, give or take a few ms).
      const cut = lines.find((l) => l.role === "assistant" && l.abs !== null && abs !== null && l.abs >= abs);
      if (cut && cut.abs! - abs! < 2000) {
        cut.interrupted = true;
        continue;
      }
    }
    if (isMarker(e.type)) markers.push({ kind: "marker", type: e.type, data: e.data, atMs: offset(abs), abs });
  }

  const out: TimelineItem[] = [];
  let next = 0;
  let markerMs: number | null = null;
  for (const { abs: lineAbs, ...line } of lines) {
    while (next < markers.length && lineAbs !== null && markers[next].abs !== null && markers[next].abs! <= lineAbs) {
      const { abs: _, ...marker } = markers[next++];
      markerMs = marker.atMs;
      out.push(marker);
    }
    // A line starts no earlier than what is shown before it: after a hold, a takeover, a digit.
    if (line.role !== "system" && line.startMs !== null && markerMs !== null && markerMs > line.startMs)
      line.startMs = Math.min(markerMs, line.endMs!);
    out.push(line);
  }
  for (const { abs: _, ...marker } of markers.slice(next)) out.push(marker);
  return out;
}

/**
 * The line being played at `positionMs`: the last heard line that started by then, until the next one
 * starts (the last line until it ends). -1 when none (before the first line, after the last, no times).
 * Returns the line's message index.
 */
export function playingLine(items: readonly TimelineItem[], positionMs: number | null): number {
  if (positionMs === null) return -1;
  const heard = items.filter(
    (i): i is TimelineLine => i.kind === "line" && i.role !== "system" && i.startMs !== null && i.endMs !== null,
  );
  let found = -1;
  for (const [k, l] of heard.entries()) {
    if (l.startMs! > positionMs) break;
    const last = k === heard.length - 1;
    found = !last || positionMs <= l.endMs! ? l.index : -1;
  }
  return found;
}

/** m:ss (h:mm:ss past an hour) of an offset into the recording. */
export function formatOffset(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  return s >= 3600
    ? `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`
    : `${Math.floor(s / 60)}:${two(s % 60)}`;
}
