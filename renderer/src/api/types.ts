// The shapes of the v1 API the console uses (the engine's OpenAPI document is the full reference).
export type CallStatus = "connecting" | "ringing" | "in-progress" | "ended" | "failed";

export interface CallMessage { role: "user" | "assistant" | "system"; content: string; at?: string }

export interface Call {
  id: string;
  status: CallStatus;
  direction: "inbound" | "outbound" | "web";
  caller_phone: string | null;
  assistant_phone: string | null;
  agent_id: string | null;
  agent_name: string | null;
  number_id: string | null;
  phone_number: string | null;
  business_name: string | null;
  end_reason: string | null;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number | null;
  summary: string | null;
  analysis_result: Record<string, unknown> | null;
  messages: CallMessage[];
  recording_url: string | null;
  destination: string | null;
  metrics: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export interface CallList { calls: Call[]; pagination: { total: number; limit: number; offset: number } }

export type EngineEvent =
  | { type: "hello"; at: string }
  | { type: "call.created" | "call.updated" | "call.ended"; call: Call; at: string }
  | { type: "call.message"; call_id: string; message: CallMessage; at: string }
  | { type: string; at: string };
