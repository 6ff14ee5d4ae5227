import type { CallRecord } from "../store/calls.js";
import { webhookStatus } from "../calls/call-state.js";

export type WebhookEvent = "assistant-request" | "tool-calls" | "status-update" | "end-of-call-report";

export interface PhoneNumberInfo { id: string | null; number: string | null; name: string | null }

const CALL_TYPES = { inbound: "inbound_phone_call", outbound: "outbound_phone_call", web: "web_call" } as const;

/** The resolved assistant as receivers see it: every field but secrets. */
export function publicAssistant(assistant: Record<string, unknown> | null): Record<string, unknown> {
  if (!assistant) return {};
  const { webhook_secret_enc: _sealed, webhook_secret: _secret, ...rest } = assistant;
  return rest;
}

/** The envelope every event shares (webhooks.md §5). */
export function envelope(type: WebhookEvent, call: CallRecord, number: PhoneNumberInfo, assistant: Record<string, unknown> | null) {
  return {
    type,
    timestamp: new Date().toISOString(),
    call: { id: call.id, type: CALL_TYPES[call.direction], status: webhookStatus(call.status), pipeline: "standard" },
    phone_number: number,
    customer: { number: call.caller_phone },
    assistant: publicAssistant(assistant),
  };
}

export function statusUpdate(call: CallRecord, number: PhoneNumberInfo, assistant: Record<string, unknown> | null) {
  const ended = call.status === "ended" || call.status === "failed";
  return {
    message: {
      ...envelope("status-update", call, number, assistant),
      ...(call.status === "failed" ? { error: call.error ?? "The call ended with an error" } : {}),
      ...(ended ? { end_reason: call.end_reason } : {}),
    },
  };
}

export function endOfCallReport(call: CallRecord, number: PhoneNumberInfo, assistant: Record<string, unknown> | null) {
  return {
    message: {
      ...envelope("end-of-call-report", call, number, assistant),
      duration_seconds: call.duration_seconds ?? 0,
      summary: call.summary ?? "",
      ...(call.analysis_result ? { analysis: call.analysis_result } : {}),
      messages: call.messages.map(({ role, content }) => ({ role, content })),
      ...(call.recording_url ? { recording_url: call.recording_url } : {}),
      end_reason: call.end_reason,
      started_at: call.started_at,
      ended_at: call.ended_at,
    },
  };
}
