// The shapes of the v1 API the console uses (the engine's OpenAPI document is the full reference).
import type { CallMessage, CallRecord, CallStatus } from "../../../shared-types/calls";

export type { CallMessage, CallStatus };
export type Call = CallRecord;

export interface CallList {
  calls: Call[];
  pagination: { total: number; limit: number; offset: number };
}

export type EngineEvent =
  | { type: "hello"; at: string }
  | { type: "call.created" | "call.updated" | "call.ended" | "call.incoming"; call: Call; at: string }
  | { type: "call.message"; call_id: string; message: CallMessage; at: string }
  | { type: string; at: string };
