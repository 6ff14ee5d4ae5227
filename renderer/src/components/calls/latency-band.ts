// The latency meter's arithmetic: the band a reply's voice-to-voice time falls in, and the sparkline's
// points. Unit-tested in test/unit/live-board.test.ts.

/** ≤ 800 ms feels like a conversation, ≤ 1500 ms is noticeable, beyond that callers talk over the assistant. */
export const GOOD_MS = 800;
export const OK_MS = 1500;
export type LatencyBand = "good" | "ok" | "slow" | "none";

export function band(ms: number | null | undefined): LatencyBand {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "none";
  return ms <= GOOD_MS ? "good" : ms <= OK_MS ? "ok" : "slow";
}

/**
 * SVG polyline points for recent turns (turns without a figure are skipped), left to right, scaled so
 * the slow threshold sits at a fixed height unless a turn went beyond it.
 */
export function sparkline(values: (number | null)[], width: number, height: number, pad = 2): string {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!vs.length) return "";
  const top = Math.max(OK_MS * 1.2, ...vs);
  const x = (i: number) => (vs.length > 1 ? pad + (i * (width - 2 * pad)) / (vs.length - 1) : width / 2);
  const y = (v: number) => height - pad - (v / top) * (height - 2 * pad);
  return vs.map((v, i) => `${round(x(i))},${round(y(v))}`).join(" ");
}

/** The y of a threshold line on the same scale as `sparkline`. */
export function thresholdY(ms: number, values: (number | null)[], height: number, pad = 2): number {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const top = Math.max(OK_MS * 1.2, ...vs);
  return round(height - pad - (ms / top) * (height - 2 * pad));
}

export function median(values: (number | null)[]): number | null {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (!vs.length) return null;
  const mid = Math.floor(vs.length / 2);
  return vs.length % 2 ? vs[mid]! : (vs[mid - 1]! + vs[mid]!) / 2;
}

const round = (n: number) => Math.round(n * 10) / 10;
