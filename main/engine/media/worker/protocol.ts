import type { Endpoint, RtpPortRange } from "../media-types.js";

/** Main thread → media worker. Audio (`play`) travels as a transferred buffer; the rest is control. */
export type ToWorker =
  | { op: "open"; id: number; shared: SharedArrayBuffer; host: string; range: RtpPortRange }
  | {
      op: "configure";
      id: number;
      remote: Endpoint;
      codec: "PCMU" | "PCMA";
      pt: number;
      tePt: number | null;
      rtcpIntervalMs: number;
    }
  | { op: "retarget"; id: number; remote: Endpoint }
  /** A browser's leg: answers its WebRTC offer (replied to with `webrtcAnswer` or `openFailed`). */
  | { op: "openWebRtc"; id: number; shared: SharedArrayBuffer; offer: string; host: string; range: RtpPortRange }
  | { op: "sending"; id: number; on: boolean }
  | { op: "play"; id: number; pcm: Int16Array; gen: number }
  | { op: "dtmf"; id: number; digits: string }
  | { op: "record"; id: number; path: string | null }
  | { op: "rtcpInterval"; id: number; ms: number }
  | { op: "watch"; id: number; sample: number }
  | { op: "close"; id: number }
  /**
   * Copies the call's caller frames into a second ring (same layout as the call's own) that another thread
   * reads, and rings `bell` (word 0) after them: the VAD thread hears the caller without the main thread.
   * `from`: the first frame of the call's ring the tap starts at (the one the main thread reads next).
   */
  | { op: "tap"; id: number; tap: number; ring: SharedArrayBuffer; bell: SharedArrayBuffer; from: number }
  | { op: "untap"; id: number; tap: number }
  /** Bridges two legs inside the worker: each one's caller audio and RFC 4733 digits go out on the other. */
  | { op: "relay"; a: number; b: number }
  | { op: "unrelay"; a: number; b: number }
  /** A console's leg hears a call (the caller, and with `withSent` what the call sends too); `on: false` undoes. */
  | { op: "monitor"; call: number; leg: number; withSent: boolean; on: boolean }
  /** One-way relay: `from`'s received audio goes out on `to` (null: stops). A console talking on a call. */
  | { op: "feed"; from: number; to: number | null }
  /**
   * A coach's whisper: `from`'s received audio is summed into what `to` sends (its side queue), never queued
   * on a call; null stops it. Only the talking console hears the coach.
   */
  | { op: "whisper"; from: number; to: number | null }
  /** A browser's ICE candidates that came after its offer (trickle ICE). */
  | { op: "iceCandidates"; id: number; candidates: { candidate: string; mid: string | null }[] }
  | { op: "clockStats"; token: number; reset: boolean }
  /** Round trip: every message posted before it has been handled when the pong comes back. */
  | { op: "ping"; token: number };

/** Media worker → main thread. Times are Unix epoch ms (performance clocks differ per thread). */
export type FromWorker =
  | { op: "opened"; id: number; port: number }
  | { op: "openFailed"; id: number; message: string }
  | { op: "webrtcAnswer"; id: number; sdp: string }
  | { op: "webrtcGone"; id: number; state: string }
  | { op: "latched"; id: number; remote: Endpoint }
  | { op: "dtmf"; id: number; digit: string }
  | { op: "played"; id: number; played: number; atEpochMs: number }
  | { op: "closed"; id: number }
  /** A recording is complete on disk (header patched, file closed). */
  | { op: "recorded"; path: string }
  | { op: "recordFailed"; id: number; reason: string }
  | { op: "clockStats"; token: number; stats: ClockStats }
  | { op: "pong"; token: number };

export interface ClockStats {
  p50: number;
  p99: number;
  max: number;
  ticks: number;
  priority: string;
  /** How loading libopus went in the worker (codecs/opus.ts `opusLoad`); null until a leg needed it. */
  opusLoad: { compileMs: number; glueMs: number; instantiateMs: number } | null;
}
