// The Call object of the v1 API, shared by the engine and the console (type-only for the console).
// The documented REST enum. A call whose far end rings stays `connecting`; `ringing_at` says since when.
export const CALL_STATUSES = ["connecting", "in-progress", "ended", "failed"] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export type CallDirection = "inbound" | "outbound" | "web";

export interface CallMessage { role: "user" | "assistant" | "system"; content: string; at: string }

/** A call as the API returns it (api-v1 §2.8, plus local additions). */
export interface CallRecord {
  id: string;
  status: CallStatus;
  direction: CallDirection;
  caller_phone: string | null;
  assistant_phone: string | null;
  agent_phone: string | null;
  agent_id: string | null;
  number_id: string | null;
  agent_name: string | null;
  assistant_name: string | null;
  business_name: string | null;
  phone_number: string | null;
  end_reason: string | null;
  error: string | null;
  /** Local addition: when the far end started ringing (outbound: its 180/183), null before or without. */
  ringing_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  summary: string | null;
  analysis_result: Record<string, unknown> | null;
  messages: CallMessage[];
  room_name: string | null;
  recording_url: string | null;
  destination: string | null;
  metadata: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

