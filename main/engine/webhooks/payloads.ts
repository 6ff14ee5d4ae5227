import type { CallRecord, CallStatus } from "../store/calls.js";
import { isSealed } from "../store/credentials.js";

/** The four documented events (webhooks.md §1), and `test` (local addition: POST /api/v1/webhooks/test). */
export type WebhookEvent = "assistant-request" | "tool-calls" | "status-update" | "end-of-call-report" | "test";

/** `message.phone_number`: our number on the call; all null on web calls. */
export interface PhoneNumberInfo {
  id: string | null;
  number: string | null;
  name: string | null;
}

/** The resolved assistant as stored with a call (see CallRepo.assistantConfig). */
export type ResolvedAssistant = Record<string, unknown>;

/**
 * The webhook vocabulary for a REST status (gaps.md B4). Kept here, not in calls/, so that webhooks/ does not
 * import calls/ (calls/ imports webhooks/ to send them).
 */
export function webhookStatus(s: CallStatus): "in-progress" | "ended" | "ended-with-error" | "connecting" {
  return s === "failed" ? "ended-with-error" : s;
}

const CALL_TYPES = { inbound: "inbound_phone_call", outbound: "outbound_phone_call", web: "web_call" } as const;

/** Keys that hold a credential when their value is a string, at any depth (e.g. a tool's `server.secret`). */
const SECRET_KEYS = new Set([
  "secret",
  "webhook_secret",
  "api_key",
  "apikey",
  "password",
  "auth_token",
  "access_token",
  "token_secret",
]);
const isSecretKey = (key: string) => {
  const k = key.toLowerCase();
  return (
    SECRET_KEYS.has(k) ||
    k.endsWith("_secret") ||
    k.endsWith("_enc") ||
    k.endsWith("_api_key") ||
    k.endsWith("_password")
  );
};

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretKey(k) && (typeof v === "string" || v === null)) continue;
    if (isSealed(v)) continue; // a credential under a name we do not list (an auth header): never sent
    out[k] = withoutSecrets(v);
  }
  return out;
}

/**
 * The resolved assistant as receivers see it (webhooks.md §5): every field, custom `metadata` echoed
 * untouched, but no secret — not the sealed webhook secret, not a tool's `server.secret`, no key.
 */
export function publicAssistant(assistant: ResolvedAssistant | null): Record<string, unknown> {
  if (!assistant) return {};
  const { webhook_secret_enc: _sealed, webhook_secret: _secret, metadata, ...rest } = assistant;
  const out = withoutSecrets(rest) as Record<string, unknown>;
  if (metadata !== undefined) out.metadata = metadata;
  return out;
}

/** The envelope every event shares (webhooks.md §5). `timestamp` is fixed at enqueue time: retries resend it unchanged. */
export function envelope(
  type: WebhookEvent,
  call: CallRecord,
  number: PhoneNumberInfo,
  assistant: ResolvedAssistant | null,
) {
  return {
    type,
    timestamp: new Date().toISOString(),
    call: { id: call.id, type: CALL_TYPES[call.direction], status: webhookStatus(call.status), pipeline: "standard" },
    phone_number: number,
    customer: { number: call.caller_phone },
    assistant: publicAssistant(assistant),
  };
}

/**
 * `status-update` (webhooks.md §8): `error` when the call ended with an error, `end_reason` once it has
 * ended (SDK-next).
 */
export function statusUpdate(call: CallRecord, number: PhoneNumberInfo, assistant: ResolvedAssistant | null) {
  const ended = call.status === "ended" || call.status === "failed";
  return {
    message: {
      ...envelope("status-update", call, number, assistant),
      ...(call.status === "failed" ? { error: call.error ?? "The call ended with an error" } : {}),
      ...(ended ? { end_reason: call.end_reason } : {}),
    },
  };
}

/** `end-of-call-report` (webhooks.md §9): optional fields are left out when there is nothing to report. */
export function endOfCallReport(call: CallRecord, number: PhoneNumberInfo, assistant: ResolvedAssistant | null) {
  return {
    message: {
      ...envelope("end-of-call-report", call, number, assistant),
      duration_seconds: Math.max(0, Math.round(call.duration_seconds ?? 0)),
      summary: call.summary ?? "",
      ...(call.analysis_result ? { analysis: call.analysis_result } : {}),
      messages: call.messages.map(({ role, content }) => ({ role, content })),
      ...(call.recording_url ? { recording_url: call.recording_url } : {}),
      end_reason: call.end_reason,
      // As on status-update: a call that ended with an error says which (local addition on the report).
      ...(call.status === "failed" ? { error: call.error ?? "The call ended with an error" } : {}),
      started_at: call.started_at,
      ended_at: call.ended_at,
    },
  };
}
