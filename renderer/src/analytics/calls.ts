// Call analytics for the Usage page, computed in the console from `GET /api/v1/calls` pages: the engine
// keeps no aggregates, and a small business has few enough calls that a browser sums them in milliseconds.
// Pure functions on plain data (no Vue, no DOM) so they run and are tested in Node.
// Days and hours are the viewer's local time: "busy on Monday morning" means the business's Monday.

/** The fields of a v1 Call these figures read. */
export interface CallFacts {
  status: string;
  created_at: string;
  duration_seconds: number | null;
  /** Local addition on calls: `{ turns: [{ voice_to_voice_ms }] }` written by the post-call report. */
  metrics?: Record<string, unknown> | null;
}

export const OUTCOMES = ["completed", "unanswered", "failed", "active"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** `ended` alone does not say whether anyone talked: a call that ended with no answered time was not answered. */
export function outcomeOf(c: CallFacts): Outcome {
  if (c.status === "failed") return "failed";
  if (c.status === "ended") return (c.duration_seconds ?? 0) > 0 ? "completed" : "unanswered";
  return "active";
}

/** YYYY-MM-DD of a moment in local time. */
export function dayKey(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The `days` local calendar days ending with the day of `end`, oldest first. */
export function dayRange(end: Date, days: number): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    // Calendar arithmetic (not 24 h steps), so a daylight-saving change neither skips nor repeats a day.
    out.push(dayKey(new Date(end.getFullYear(), end.getMonth(), end.getDate() - i, 12)));
  }
  return out;
}

/** Local midnight that starts the first of `days` days ending with `end`'s day: the query's start_date. */
export function rangeStart(end: Date, days: number): Date {
  return new Date(end.getFullYear(), end.getMonth(), end.getDate() - (days - 1), 0, 0, 0, 0);
}

export interface DailySeries<T> {
  days: string[];
  series: Record<string, T[]>;
}

/** Calls per day and outcome; every series has one point per day, zero where there were none. */
export function callsPerDay(calls: readonly CallFacts[], days: readonly string[]): DailySeries<number> {
  const index = new Map(days.map((d, i) => [d, i]));
  const series = Object.fromEntries(OUTCOMES.map((o) => [o, days.map(() => 0)])) as Record<Outcome, number[]>;
  for (const c of calls) {
    const i = index.get(dayKey(new Date(c.created_at)));
    if (i !== undefined) series[outcomeOf(c)][i]++;
  }
  return { days: [...days], series };
}

/** Monday first, as calendars in most of our users' countries are. */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/**
 * Calls started per hour of day and weekday, as ECharts heatmap cells `[hour, weekday, count]` with
 * weekday 0 = Monday; all 168 cells are present so empty hours show as empty, not missing.
 */
export function busiestHours(calls: readonly CallFacts[]): [number, number, number][] {
  const counts = Array.from({ length: 7 * 24 }, () => 0);
  for (const c of calls) {
    const d = new Date(c.created_at);
    if (Number.isNaN(d.getTime())) continue;
    const weekday = (d.getDay() + 6) % 7;
    counts[weekday * 24 + d.getHours()]++;
  }
  return counts.map((n, i) => [i % 24, Math.floor(i / 24), n]);
}

/** Upper bounds (seconds) of the duration buckets; the last bucket is open-ended. */
export const DURATION_BOUNDS_S = [30, 60, 120, 300, 600, 1800] as const;

export interface Histogram {
  /** `[from, to)` in seconds; `to` null for the open last bucket. */
  buckets: { from: number; to: number | null }[];
  counts: number[];
}

/** Answered calls by talk time; calls that were never answered have no duration to show. */
export function durationHistogram(
  calls: readonly CallFacts[],
  bounds: readonly number[] = DURATION_BOUNDS_S,
): Histogram {
  const buckets = [...bounds, null].map((to, i) => ({ from: i === 0 ? 0 : bounds[i - 1], to }));
  const counts = buckets.map(() => 0);
  for (const c of calls) {
    const s = c.duration_seconds;
    if (s === null || s <= 0) continue;
    const i = bounds.findIndex((b) => s < b);
    counts[i === -1 ? bounds.length : i]++;
  }
  return { buckets, counts };
}

/** Nearest-rank percentile of sorted numbers; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * The caller-heard reply delays of a call: `metrics.turns[].voice_to_voice_ms` (caller stopped talking →
 * first RTP packet of the reply), written by the engine's post-call report. Calls without a voice
 * session (no assistant, failed before answer) have none.
 */
export function replyDelaysMs(c: CallFacts): number[] {
  const turns = c.metrics?.turns;
  if (!Array.isArray(turns)) return [];
  const out: number[] = [];
  for (const t of turns) {
    const v = (t as { voice_to_voice_ms?: unknown } | null)?.voice_to_voice_ms;
    if (typeof v === "number" && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/**
 * p50 and p95 of every reply delay of each day's calls, pooled per day (a day of one long call and
 * one short one weighs their turns, not the calls). Days without a measured turn are null: a gap, not 0.
 */
export function latencyPerDay(calls: readonly CallFacts[], days: readonly string[]): DailySeries<number | null> {
  const index = new Map(days.map((d, i) => [d, i]));
  const perDay: number[][] = days.map(() => []);
  for (const c of calls) {
    const i = index.get(dayKey(new Date(c.created_at)));
    if (i !== undefined) perDay[i].push(...replyDelaysMs(c));
  }
  const sorted = perDay.map((xs) => xs.sort((a, b) => a - b));
  return {
    days: [...days],
    series: { p50: sorted.map((xs) => percentile(xs, 50)), p95: sorted.map((xs) => percentile(xs, 95)) },
  };
}

export interface Totals {
  calls: number;
  answered: number;
  talkSeconds: number;
  averageSeconds: number | null;
}

export function totals(calls: readonly CallFacts[]): Totals {
  let answered = 0;
  let talk = 0;
  for (const c of calls) {
    if ((c.duration_seconds ?? 0) > 0) {
      answered++;
      talk += c.duration_seconds!;
    }
  }
  return { calls: calls.length, answered, talkSeconds: talk, averageSeconds: answered ? talk / answered : null };
}
