/**
 * What the call's audio went through, in words a person uses: the engine's `metrics.media`
 * (main/engine/media/worker/report.ts mediaReportOf, written when the leg ends) read into loss, jitter
 * and round trip, each with a verdict.
 */
export type Verdict = "good" | "fair" | "poor";

export interface MediaQuality {
  /** Of the caller's audio sent to us, the share that never came (%). */
  lossInPct: number | null;
  /** Of our audio, the share the far end says it missed (its RTCP reports; %). */
  lossOutPct: number | null;
  /** How unevenly the caller's packets arrived (RFC 3550 interarrival jitter, ms). */
  jitterMs: number | null;
  /** Round trip to the far end, from its RTCP reports (ms); null when it sent none. */
  rttMs: number | null;
  loss: Verdict | null;
  jitter: Verdict | null;
  rtt: Verdict | null;
  /** The worst of the three. */
  overall: Verdict;
}

// Usual VoIP rules of thumb: under 1 % loss is not heard, over 3 % words break up (G.711 without
// concealment); jitter under 30 ms is absorbed by a jitter buffer; ITU-T G.114 keeps one-way delay
// under 150 ms (round trip 300 ms) for natural turn-taking, and over ~600 ms people talk over each other.
export const LOSS_PCT = { fair: 1, poor: 3 };
export const JITTER_MS = { fair: 30, poor: 60 };
export const RTT_MS = { fair: 300, poor: 600 };

export function verdict(value: number | null, limits: { fair: number; poor: number }): Verdict | null {
  if (value === null) return null;
  return value >= limits.poor ? "poor" : value >= limits.fair ? "fair" : "good";
}

const RANK: Record<Verdict, number> = { good: 0, fair: 1, poor: 2 };
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const round1 = (v: number) => Math.round(v * 10) / 10;

/** null when the call has no media report (never answered, or before its leg ended). */
export function mediaQuality(media: unknown): MediaQuality | null {
  if (typeof media !== "object" || media === null) return null;
  const m = media as Record<string, unknown>;
  const received = num(m.packets_received);
  const lost = num(m.packets_lost);
  if (received === null || lost === null) return null;
  const expected = received + Math.max(0, lost);
  const lossInPct = expected > 0 ? round1((Math.max(0, lost) / expected) * 100) : null;

  const peer = typeof m.peer_reported === "object" && m.peer_reported !== null ? m.peer_reported : null;
  const p = (peer ?? {}) as Record<string, unknown>;
  const sent = num(m.packets_sent);
  const peerLost = num(p.packets_lost);
  const fraction = num(p.fraction_lost);
  // Over the whole call when the far end counted its losses; else its last report's share.
  const lossOutPct = !peer
    ? null
    : sent && peerLost !== null
      ? round1((Math.max(0, peerLost) / sent) * 100)
      : fraction !== null
        ? round1(fraction * 100)
        : null;
  const jitterMs = num(m.jitter_ms);
  const rttMs = num(p.rtt_ms);

  const worstLoss = lossInPct === null && lossOutPct === null ? null : Math.max(lossInPct ?? 0, lossOutPct ?? 0);
  const loss = verdict(worstLoss, LOSS_PCT);
  const jitter = verdict(jitterMs, JITTER_MS);
  const rtt = verdict(rttMs, RTT_MS);
  const overall = [loss, jitter, rtt].reduce<Verdict>((w, v) => (v !== null && RANK[v] > RANK[w] ? v : w), "good");
  return {
    lossInPct,
    lossOutPct,
    jitterMs: jitterMs === null ? null : round1(jitterMs),
    rttMs: rttMs === null ? null : Math.round(rttMs),
    loss,
    jitter,
    rtt,
    overall,
  };
}
