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
  | TrunkRegistrationEvent
  | { type: string; at: string };

export const TRANSPORTS = ["udp", "tcp", "tls"] as const;
export type Transport = (typeof TRANSPORTS)[number];
export type RegistrationStatus = "registered" | "registering" | "failed" | "unregistered";

/** A trunk's live registration; the last four fields arrive with the engine's registration details. */
export interface Registration {
  status: RegistrationStatus;
  reason: string | null;
  expires_at: string | null;
  server?: string | null;
  contact?: string | null;
  code?: number | null;
  last_attempt_at?: string | null;
  next_retry_at?: string | null;
}

/** GET /sip-trunks: passwords are write-only, only `has_password` comes back. */
export interface SipTrunk {
  id: string;
  name: string;
  provider: string | null;
  host: string;
  address: string;
  port: number;
  transport: Transport;
  username: string | null;
  auth_username: string | null;
  has_password: boolean;
  register: boolean;
  outbound_proxy: string | null;
  has_tls_ca: boolean;
  keepalive_seconds: number;
  allowed_sources: string[];
  stun_server: string | null;
  is_active: boolean;
  registration: Registration;
  created_at: string;
  updated_at: string;
}

/** POST/PATCH /sip-trunks body (only the fields the console edits). */
export interface SipTrunkInput {
  name?: string;
  host?: string;
  port?: number;
  transport?: Transport;
  username?: string | null;
  password?: string | null;
  register?: boolean;
  outbound_proxy?: string | null;
  tls_ca?: string | null;
  keepalive_seconds?: number;
  stun_server?: string | null;
  is_active?: boolean;
}

export interface SipLogEntry {
  at: string;
  direction: "in" | "out";
  remote: string;
  first_line: string;
  text: string;
}
export interface SipLog {
  trunk_id: string;
  messages: SipLogEntry[];
}

export interface TrunkRegistrationEvent {
  type: "trunk.registration";
  trunk_id: string;
  registration: Registration;
  at: string;
}

/** GET /numbers: one of our phone numbers; no assistant means the console rings (a person answers). */
export interface PhoneNumber {
  id: string;
  phone_number: string;
  name: string | null;
  assistant_id: string | null;
  agent_name: string | null;
  sip_trunk_id: string | null;
  sip_trunk_name: string | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}
export interface PhoneNumberInput {
  phone_number?: string;
  name?: string | null;
  assistant_id?: string | null;
  sip_trunk_id?: string | null;
  is_active?: boolean;
}

/** The few assistant fields the console's pickers need (GET /assistants). */
export interface AssistantSummary {
  id: string;
  name: string;
}
