// The shapes of the v1 API the console uses (the engine's OpenAPI document is the full reference).
import type {
  CallCoachEvent,
  CallHoldEvent,
  CallMessage,
  CallMessageOrigin,
  CallOwnerEvent,
  CallPartialEvent,
  CallRecord,
  CallStatus,
  CallTurnEvent,
} from "../../../shared-types/calls";

export type {
  CallCoachEvent,
  CallMessage,
  CallMessageOrigin,
  CallOwnerEvent,
  CallPartialEvent,
  CallStatus,
  CallTurnEvent,
};
export type Call = CallRecord;

export interface CallList {
  calls: Call[];
  pagination: { total: number; limit: number; offset: number };
}

export type EngineEvent =
  | { type: "hello"; at: string }
  | { type: "call.created" | "call.updated" | "call.ended" | "call.incoming"; call: Call; at: string }
  | {
      type: "call.message";
      call_id: string;
      message: CallMessage;
      /** A person at the console said it; `origin: "say"`: a control `say` scripted it. */
      speaker?: "operator";
      origin?: CallMessageOrigin;
      /** The caller's or a person's line: the `call.partial`s of that speaker up to this turn are superseded. */
      turn?: number;
      at: string;
    }
  | (CallPartialEvent & { at: string })
  | (CallHoldEvent & { at: string })
  | (CallOwnerEvent & { at: string })
  | (CallCoachEvent & { at: string })
  | (CallTurnEvent & { at: string })
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
  max_channels: number | null;
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
  max_channels?: number | null;
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

// ── Admin pages (Models, Keys and providers, Webhooks, Usage) ───────────────────────────────────────────
// Local additions of this engine unless marked; the engine's OpenAPI document is the reference.

export type ModelDownloadState = "downloading" | "verifying" | "installed" | "failed" | "cancelled";

export interface ModelDownload {
  state: ModelDownloadState;
  received_bytes: number;
  total_bytes: number | null;
  error: string | null;
  sha256: Record<string, string>;
  started_at: string;
  updated_at: string;
}

export interface Model {
  id: string;
  kind: "stt" | "tts" | "vad";
  name: string;
  description: string;
  license: string;
  license_url: string | null;
  size_bytes: number | null;
  /** null when no reference checksum is published: such a download cannot be verified. */
  sha256: string | null;
  urls: string[];
  files: { name: string; url: string; size_bytes: number | null; sha256: string | null }[];
  builtin: boolean;
  installed: boolean;
  path: string | null;
  /** Bytes of an unfinished download on disk: a new download continues from there (HTTP Range). */
  partial_bytes: number;
  /** Only the latest download since the engine started: a restart forgets it. */
  download: ModelDownload | null;
}

export interface ModelStorage {
  used_bytes: number;
  partial_bytes: number;
  free_bytes: number;
  total_bytes: number;
}

export interface ModelDownloadEvent {
  type: "model.download";
  model_id: string;
  state: ModelDownloadState;
  received_bytes: number;
  total_bytes: number | null;
  error: string | null;
  at: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  /** The first 12 characters; the engine stores only a hash of the rest. */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The key this console is signed in with: revoking it is refused. */
  current: boolean;
}

/** A v1 provider catalogue entry (`GET /byok/config`, with local fields). */
export interface ProviderInfo {
  id: string;
  name: string;
  category: "stt" | "llm" | "tts" | "email";
  docsUrl: string;
  local: boolean;
  requires_key: boolean;
  configured: boolean;
  models: { id: string; name: string; default?: boolean }[];
}

export interface ProviderTest {
  provider: string;
  ok: boolean;
  detail: string;
  model: string | null;
}

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDelivery {
  id: string;
  call_id: string | null;
  event: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string;
  created_at: string;
  delivered_at: string | null;
}

export interface WebhookAttempt {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  at: string;
  response_body: string | null;
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  /** The JSON body exactly as signed and sent; it never holds a secret. */
  payload: unknown;
  attempt_log: WebhookAttempt[];
}

/** What the admin pages read of an assistant besides the pickers' fields (`GET /assistants`, v1). */
export interface AssistantAdminSummary extends AssistantSummary {
  webhook_url?: string | null;
  stt_config?: { provider?: string; model?: string } | null;
}
