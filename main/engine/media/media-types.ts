/** Plain types shared by the media worker and the main-thread proxy. */
export interface RtpPortRange {
  min: number;
  max: number;
}
export interface Endpoint {
  address: string;
  port: number;
}

export interface MediaReport {
  packets_sent: number;
  packets_received: number;
  packets_lost: number;
  packets_late: number;
  packets_duplicate: number;
  packets_reordered: number;
  packets_malformed: number;
  jitter_ms: number;
  rtcp_sent: number;
  rtcp_received: number;
  /** How our audio reached the peer, from its last RTCP report about it (null: it sent none). */
  peer_reported: { fraction_lost: number; packets_lost: number; jitter_ms: number; rtt_ms: number | null } | null;
}

/** RTCP report interval (RFC 3550 suggests 5 s for a two-party session), randomized ±50 % per report. */
export const RTCP_INTERVAL_MS = 5000;
