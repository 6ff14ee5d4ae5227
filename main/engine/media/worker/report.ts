import type { MediaReport } from "../media-types.js";
import { F, I, type CallShared } from "./shared.js";

export interface SessionCounters {
  sent: number;
  received: number;
  malformed: number;
  ignored: number;
  octetsSent: number;
  rtcpSent: number;
  rtcpReceived: number;
}

/** A call's packet counters, read from the memory the worker writes them to. */
export function countersOf(s: CallShared): SessionCounters {
  const i = s.i32;
  return {
    sent: i[I.sent],
    received: i[I.received],
    malformed: i[I.malformed],
    ignored: i[I.ignored],
    octetsSent: i[I.octetsSent],
    rtcpSent: i[I.rtcpSent],
    rtcpReceived: i[I.rtcpReceived],
  };
}

/** What the call's audio went through (`metrics.media`), read from the memory the worker writes it to. */
export function mediaReportOf(s: CallShared): MediaReport {
  const i = s.i32;
  const f = s.f64;
  const rtt = f[F.peerRttMs];
  return {
    packets_sent: i[I.sent],
    packets_received: i[I.inReceived],
    packets_lost: i[I.inLost],
    packets_late: i[I.inLate],
    packets_duplicate: i[I.inDuplicates],
    packets_reordered: i[I.inReordered],
    packets_malformed: i[I.malformed],
    jitter_ms: Math.round(f[F.jitterMs] * 100) / 100,
    rtcp_sent: i[I.rtcpSent],
    rtcp_received: i[I.rtcpReceived],
    peer_reported: Atomics.load(i, I.peerReported)
      ? {
          fraction_lost: f[F.peerFractionLost],
          packets_lost: f[F.peerPacketsLost],
          jitter_ms: f[F.peerJitterMs],
          rtt_ms: Number.isNaN(rtt) ? null : rtt,
        }
      : null,
  };
}
