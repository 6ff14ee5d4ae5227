import type { CallAudio } from "../media/call-audio.js";
import type { RtpSession } from "../media/rtp-session.js";

/** The four control commands of POST /calls/{id}/control (api-v1 §5.4). */
export type ControlCommand =
  | { type: "inject-context"; content: string; trigger_response: boolean }
  | { type: "say"; content: string; end_after: boolean }
  | { type: "end-call"; message?: string }
  | { type: "transfer"; destination: string; message?: string };

/** Who acts on a live call's control commands: its assistant, or the person who has it. */
export interface CallController {
  control(command: ControlCommand): Promise<void>;
}

/** Places outbound calls. Telephony provides the real one; without it calls fail honestly. */
export interface Dialer {
  dial(request: DialRequest): Promise<void>;
}

export interface DialRequest {
  callId: string;
  destination: string;
  callerId: string | null;
  numberId: string | null;
  assistant: Record<string, unknown>;
  /** The trunk to dial on instead of the number's (a consultation goes out where the call it consults for is). */
  trunkId?: string;
}

/** How a transfer went: by REFER (the far end took the caller over) or by bridging a second call ourselves. */
export interface TransferOutcome {
  method: "refer" | "bridge";
  ok: boolean;
  reason?: string;
}

/**
 * The port through which telephony hands an answered call to its live call: the audio and what can be
 * done to the leg. Nothing of SIP shows through it, so a test (or a web call) can be a leg too.
 */
export interface CallLeg {
  audio: CallAudio;
  /** Another view of the same audio, for a listener (a console); close it when done. */
  tap(): CallAudio;
  /** Sends BYE (the call row is already final when this is called). */
  hangup(): Promise<void>;
  /** Hands the caller to another number; not ok (with the call still up) when that failed. */
  transfer(destination: string): Promise<TransferOutcome>;
  /** RFC 4733 digits; false when the peer offered no telephone-event. */
  sendDtmf(digits: string): boolean;
  /** The leg's media in the worker, where a console's WebRTC leg joins it (absent: no console audio). */
  media?: RtpSession;
  /**
   * Puts the far end on hold or takes it off; resolves once the far end answered (not ok, with the call as it
   * was, when it refused). Only legs with a phone line have it (a web call has none).
   */
  hold?(on: boolean): Promise<HoldOutcome>;
}

/** How a hold or resume went; `busy` when one was still in flight. */
export type HoldOutcome = { ok: true } | { ok: false; reason: string; busy?: boolean };
