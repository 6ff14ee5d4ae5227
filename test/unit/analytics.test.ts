import { describe, expect, it } from "vitest";
import {
  busiestHours,
  callsPerDay,
  dayRange,
  durationHistogram,
  latencyPerDay,
  OUTCOMES,
  percentile,
  rangeStart,
  totals,
  type CallFacts,
} from "../../renderer/src/analytics/calls.js";

// A fortnight of a small practice's calls, in local time like the console shows them: day d (0 = the
// oldest) has d % 5 + 1 calls at 9:00, 9:20, 9:40, … plus one failed call at 17:00 on even days.
const END = new Date(2026, 10, 30, 15, 0); // 30 November 2026, 15:00 local
function fixture(): CallFacts[] {
  const calls: CallFacts[] = [];
  for (let d = 0; d < 14; d++) {
    const day = 30 - 13 + d;
    for (let k = 0; k < (d % 5) + 1; k++) {
      calls.push({
        status: "ended",
        created_at: new Date(2026, 10, day, 9, k * 20).toISOString(),
        duration_seconds: k === 3 ? 0 : 25 + k * 70,
        metrics: { turns: [{ voice_to_voice_ms: 600 + d * 10 }, { voice_to_voice_ms: 900 + d * 10 }] },
      });
    }
    if (d % 2 === 0)
      calls.push({
        status: "failed",
        created_at: new Date(2026, 10, day, 17, 5).toISOString(),
        duration_seconds: null,
        metrics: null,
      });
  }
  return calls;
}

describe("usage analytics", () => {
  const calls = fixture();
  const days = dayRange(END, 14);

  it("a 14-day fixture yields 14 points in every per-day series, counting each call once", () => {
    expect(days).toHaveLength(14);
    expect(days[0]).toBe("2026-11-17");
    expect(days[13]).toBe("2026-11-30");
    const perDay = callsPerDay(calls, days);
    for (const o of OUTCOMES) expect(perDay.series[o]).toHaveLength(14);
    const sum = OUTCOMES.reduce((n, o) => n + perDay.series[o].reduce((a, b) => a + b, 0), 0);
    expect(sum).toBe(calls.length);
    // Day 3 (20 Nov): four calls of which the fourth was never answered; odd day, so no failed call.
    expect(perDay.series.completed[3]).toBe(3);
    expect(perDay.series.unanswered[3]).toBe(1);
    expect(perDay.series.failed[3]).toBe(0);
    expect(perDay.series.failed[4]).toBe(1);

    const latency = latencyPerDay(calls, days);
    expect(latency.series.p50).toHaveLength(14);
    expect(latency.series.p95).toHaveLength(14);
    // Day 0: one call with turns 600 and 900 ms → p50 600 (nearest rank), p95 900.
    expect(latency.series.p50[0]).toBe(600);
    expect(latency.series.p95[0]).toBe(900);
  });

  it("the heatmap has all 168 hour × weekday cells and they sum to the number of calls", () => {
    const cells = busiestHours(calls);
    expect(cells).toHaveLength(168);
    expect(cells.reduce((n, [, , c]) => n + c, 0)).toBe(calls.length);
    // 17 November 2026 is a Tuesday (weekday 1): one call at 9:00 and the failed one at 17:05.
    expect(cells.find(([h, w]) => h === 9 && w === 1)![2]).toBeGreaterThanOrEqual(1);
    expect(cells.find(([h, w]) => h === 17 && w === 1)![2]).toBeGreaterThanOrEqual(1);
    expect(cells.filter(([h]) => h < 9 || h > 17).every(([, , c]) => c === 0)).toBe(true);
  });

  it("puts answered calls into duration buckets and leaves unanswered ones out", () => {
    const h = durationHistogram(calls);
    const answered = calls.filter((c) => (c.duration_seconds ?? 0) > 0).length;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(answered);
    expect(h.buckets[0]).toEqual({ from: 0, to: 30 });
    expect(h.buckets.at(-1)).toEqual({ from: 1800, to: null });
    // 25 s (14 days) → [0,30), 95 s (11) → [60,120), 165 s (8) → [120,300), 305 s (2) → [300,600)
    expect(h.counts.slice(0, 5)).toEqual([14, 0, 11, 8, 2]);
    expect(totals(calls)).toMatchObject({ calls: calls.length, answered });
  });

  it("percentiles by nearest rank, with none for no data", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 95)).toBe(40);
    expect(rangeStart(END, 14).getDate()).toBe(17);
  });
});
