import type { CallMessage } from "../../../../shared-types/calls";
import { percentile } from "../../analytics/calls";
import type { CallEvent } from "./timeline";

/**
 * One assistant reply's delays, from the engine's per-turn figures (main/engine/voice/metrics.ts
 * TurnMetrics): logged as a `turn` event when the reply's first audio went out (GET /calls/{id}/events,
 * live calls included), and copied into `metrics.turns` by the post-call report.
 */
export interface TurnRow {
  turn: number;
  /** What the caller said that the reply answered; null when it cannot be told. */
  said: string | null;
  recognizerMs: number | null;
  llmFirstTokenMs: number | null;
  ttsFirstAudioMs: number | null;
  /** Caller stopped talking → they heard the reply's first sound. */
  voiceToVoiceMs: number | null;
  interrupted: boolean;
}

export const FIGURES = ["recognizerMs", "llmFirstTokenMs", "ttsFirstAudioMs", "voiceToVoiceMs"] as const;
export type Figure = (typeof FIGURES)[number];

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function row(m: Record<string, unknown>, fallbackTurn: number, said: string | null): TurnRow {
  return {
    turn: num(m.turn) ?? fallbackTurn,
    said,
    recognizerMs: num(m.recognizer_ms),
    llmFirstTokenMs: num(m.llm_first_token_ms),
    ttsFirstAudioMs: num(m.tts_first_audio_ms),
    voiceToVoiceMs: num(m.voice_to_voice_ms),
    interrupted: m.interrupted === true,
  };
}

/**
 * The call's turns: its `turn` events (each paired with the caller's last line stored before it, the
 * words that reply answered), or, for a call whose log has none, the post-call report's `metrics.turns`.
 */
export function turnRows(
  events: readonly CallEvent[],
  metrics: Record<string, unknown> | null,
  messages: readonly CallMessage[],
): TurnRow[] {
  const turns = events.filter((e) => e.type === "turn");
  if (turns.length) {
    const callerLines = messages
      .filter((m) => m.role === "user" && m.at)
      .map((m) => ({ at: Date.parse(m.at), content: m.content }));
    return turns.map((e, i) => {
      const at = Date.parse(e.at);
      const said = callerLines.filter((l) => l.at <= at).at(-1)?.content ?? null;
      return row(e.data, i + 1, said);
    });
  }
  const stored = metrics?.turns;
  if (!Array.isArray(stored)) return [];
  return stored
    .filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null)
    .map((m, i) => row(m, i + 1, null));
}

export type Percentiles = Record<Figure, number | null>;

/** p50 or p95 of each column over the turns that have it: nearest rank, as the post-call report's p50. */
export function columnPercentile(rows: readonly TurnRow[], p: number): Percentiles {
  const out = {} as Percentiles;
  for (const f of FIGURES) {
    const values = rows.map((r) => r[f]).filter((v): v is number => v !== null);
    out[f] = percentile(
      values.sort((a, b) => a - b),
      p,
    );
  }
  return out;
}

export const SEGMENTS = ["recognizer", "llm", "tts", "other"] as const;
export type Segment = (typeof SEGMENTS)[number];

/**
 * What the caller's wait was made of, for a stacked bar: recognizer, model, voice, and the rest of
 * voice-to-voice (endpointing wait, playout; the engine's `overhead_ms`). The stages run one after the
 * other once the turn is decided, so they add up to voice-to-voice; when they overlap (a preemptive
 * reply) the rest is 0 and the bar is the sum.
 */
export function segments(r: TurnRow): { segment: Segment; ms: number }[] {
  const parts: [Segment, number][] = [
    ["recognizer", r.recognizerMs ?? 0],
    ["llm", r.llmFirstTokenMs ?? 0],
    ["tts", r.ttsFirstAudioMs ?? 0],
  ];
  const sum = parts.reduce((s, [, ms]) => s + ms, 0);
  parts.push(["other", r.voiceToVoiceMs === null ? 0 : Math.max(0, r.voiceToVoiceMs - sum)]);
  return parts.map(([segment, ms]) => ({ segment, ms }));
}

/** The longest bar, so every bar (and the p50/p95 lines) share one scale. */
export function barScaleMs(rows: readonly TurnRow[]): number {
  return Math.max(1, ...rows.map((r) => segments(r).reduce((s, x) => s + x.ms, 0)));
}
