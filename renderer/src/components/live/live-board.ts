// The live board's row model: one row per call not yet ended, kept from the events stream (and seeded from
// a call's log when the board opens mid-call). Pure functions, unit-tested in test/unit/live-board.test.ts.
import type { Call, CallMessage, CallMessageOrigin } from "../../api/types";

/** Where a call stands: ringing (the far end or the console rings), connecting, or in progress. */
export type LiveState = "ringing" | "connecting" | "in-progress";
/** Who has the call now, as the board shows it. */
export type Holder = "assistant" | "person" | "hold" | "nobody";

export interface LiveLine extends CallMessage {
  origin?: CallMessageOrigin;
  /** A person at the console said it. */
  operator?: boolean;
}

export interface LiveRow {
  call: Call;
  /** Who carries the call apart from hold: its assistant, a person (took it over or answered), or nobody yet. */
  owner: "assistant" | "person" | "nobody";
  onHold: boolean;
  /** The call rings the consoles (`call.incoming`) and no one has answered yet. */
  ringingConsole: boolean;
  lastLine: LiveLine | null;
  /** The last reply's voice-to-voice latency (ms), when one was measured. */
  lastTurnMs: number | null;
}

/** One turn's figures as the meter shows them (the `call.turn` event's, or the call log's `turn`). */
export interface TurnLatency {
  turn: number;
  voice_to_voice_ms: number | null;
  recognizer_ms: number | null;
  llm_first_token_ms: number | null;
  tts_first_audio_ms: number | null;
}

/** A call with an assistant: a saved one (agent_id) or one given inline (its name). */
export const hasAssistant = (c: Call): boolean => Boolean(c.agent_id || c.agent_name || c.assistant_name);

export const isLive = (c: Call): boolean => c.status === "connecting" || c.status === "in-progress";

export function rowFromCall(call: Call): LiveRow {
  return {
    call,
    owner: ownerFor(call),
    onHold: false,
    ringingConsole: false,
    lastLine: call.messages.at(-1) ?? null,
    lastTurnMs: null,
  };
}

/** Until an event says otherwise: an answered call is its assistant's when it has one, else a person's. */
function ownerFor(call: Call): LiveRow["owner"] {
  if (call.status !== "in-progress") return "nobody";
  return hasAssistant(call) ? "assistant" : "person";
}

/** A newer record of the row's call: the owner follows the answer; what events told us stays. */
export function withCall(row: LiveRow, call: Call): LiveRow {
  const answered = row.call.status !== "in-progress" && call.status === "in-progress";
  return {
    ...row,
    call,
    owner: answered && row.owner === "nobody" ? ownerFor(call) : row.owner,
    ringingConsole: call.status === "connecting" && row.ringingConsole,
    lastLine: row.lastLine ?? call.messages.at(-1) ?? null,
  };
}

export const stateOf = (row: LiveRow): LiveState =>
  row.call.status === "in-progress"
    ? "in-progress"
    : row.call.ringing_at || row.ringingConsole
      ? "ringing"
      : "connecting";

export const holderOf = (row: LiveRow): Holder => (row.onHold ? "hold" : row.owner);

/**
 * An entry of the call's log (GET /calls/{id}/events) or the same fact from the stream, applied to its row:
 * hold, takeover and hand-back, a reply's latency. Returns the row unchanged for anything else.
 */
export function applyLog(row: LiveRow, type: string, data: Record<string, unknown>): LiveRow {
  switch (type) {
    case "hold":
      return { ...row, onHold: true };
    case "unhold":
      return { ...row, onHold: false };
    case "taken_over":
    case "answered_by_person":
      return { ...row, owner: "person" };
    case "handed_back":
      // Only a call nobody holds can be handed back (the console takes it off hold first).
      return { ...row, owner: "assistant", onHold: false };
    case "turn":
      return typeof data.voice_to_voice_ms === "number" ? { ...row, lastTurnMs: data.voice_to_voice_ms } : row;
    default:
      return row;
  }
}

/** The turn figures of a log entry or event, or null when it carries none. */
export function turnFrom(data: Record<string, unknown>): TurnLatency | null {
  if (typeof data.turn !== "number") return null;
  const n = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    turn: data.turn,
    voice_to_voice_ms: n(data.voice_to_voice_ms),
    recognizer_ms: n(data.recognizer_ms),
    llm_first_token_ms: n(data.llm_first_token_ms),
    tts_first_audio_ms: n(data.tts_first_audio_ms),
  };
}

/** Seconds since the call was answered, or since it was created while it rings or connects. */
export function elapsedSeconds(call: Call, nowMs: number): number {
  const from = Date.parse((call.status === "in-progress" && call.started_at) || call.created_at);
  return Number.isFinite(from) ? Math.max(0, Math.floor((nowMs - from) / 1000)) : 0;
}

/** 0:07, 12:34, 1:02:03. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Oldest first: a row keeps its place while newer calls join below it. */
export const byAge = (a: LiveRow, b: LiveRow): number =>
  a.call.created_at < b.call.created_at
    ? -1
    : a.call.created_at > b.call.created_at
      ? 1
      : a.call.id < b.call.id
        ? -1
        : 1;

/** Roving focus: the row index that ArrowUp/Down/Home/End move to from `current`, or null for other keys. */
export function nextIndex(key: string, current: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case "ArrowDown":
      return Math.min(count - 1, current + 1);
    case "ArrowUp":
      return Math.max(0, current - 1);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}
