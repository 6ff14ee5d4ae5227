/** The four control commands of POST /calls/{id}/control (api-v1 §5.4). */
export type ControlCommand =
  | { type: "inject-context"; content: string; trigger_response: boolean }
  | { type: "say"; content: string; end_after: boolean }
  | { type: "end-call"; message?: string }
  | { type: "transfer"; destination: string; message?: string };

/** Whatever carries a live call (telephony leg + voice pipeline) registers one of these with the call manager. */
export interface LiveCallHandle {
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
}

/** One answered call as telephony hands it over: its audio and what can be done to the SIP leg. */
export interface CallLeg {
  audio: import("../media/call-audio.js").CallAudio;
  /** Sends BYE (the call row is already final when this is called). */
  hangup(): Promise<void>;
  /** Hands the caller to another number; false (with the call still up) when that failed. */
  transfer(destination: string): Promise<boolean>;
  /** RFC 4733 digits; false when the peer offered no telephone-event. */
  sendDtmf(digits: string): boolean;
}
