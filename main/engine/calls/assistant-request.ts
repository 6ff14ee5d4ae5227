import type { Store } from "../store/index.js";
import type { CallRecord } from "../store/calls.js";
import type { WebhookService } from "../webhooks/service.js";
import { envelope } from "../webhooks/payloads.js";
import { requestWebhook } from "../webhooks/request.js";
import { assistantProblem } from "../api/schemas/assistant-check.js";

/** What the `assistant-request` answer decided for an inbound call (webhooks.md §6). */
export interface AssistantDecision {
  /** The resolved assistant for the call (unchanged when the webhook was not asked, failed or said `{}`). */
  assistant: Record<string, unknown>;
  /** A saved assistant chosen by `assistant_id`. */
  assistantId?: string;
  /** `{ "error": "…" }`: say this, then hang up. */
  reject?: string;
  /** Why the webhook's answer was not used, for the call's events. */
  problem?: string;
}

const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === "object" && !Array.isArray(v) ? v as Record<string, unknown> : null);

/**
 * Asks the assistant's webhook which configuration to run, before the call is answered, when the
 * assistant lists `assistant-request` in `webhook_events` (it must be listed: docs/decisions.md). 5 s
 * deadline; no answer, a non-2xx or invalid JSON → the saved assistant as it is.
 * Transient `{assistant}` and hybrid `{assistant_id, assistant_override}` are both shallow merges: each
 * top-level key replaces that whole block.
 */
export async function requestAssistant(store: Store, webhooks: WebhookService, call: CallRecord, saved: Record<string, unknown>, timeoutMs = 5000): Promise<AssistantDecision> {
  const url = typeof saved.webhook_url === "string" ? saved.webhook_url : null;
  const events = saved.webhook_events;
  if (!url || !Array.isArray(events) || !events.includes("assistant-request")) return { assistant: saved };
  const secretEnc = typeof saved.webhook_secret_enc === "string" ? saved.webhook_secret_enc : null;
  const env = envelope("assistant-request", call, webhooks.numberInfo(call), null);
  // Sent before the call is answered: the call is ringing from the receiver's point of view.
  const { assistant: _none, ...message } = { ...env, call: { ...env.call, status: "ringing" } };
  let answer: unknown;
  try {
    answer = await requestWebhook({ url, event: "assistant-request", body: { message }, secret: secretEnc ? store.box.open(secretEnc) : null, timeoutMs });
  } catch (err) {
    return { assistant: saved, problem: `assistant-request: ${(err as Error).message}; using the saved assistant` };
  }
  const body = obj(answer) ?? {};
  if (typeof body.error === "string" && body.error.trim()) return { assistant: saved, reject: body.error };
  let assistant = saved;
  let assistantId: string | undefined;
  if (typeof body.assistant_id === "string") {
    const chosen = store.assistants.get(body.assistant_id);
    if (!chosen) return { assistant: saved, problem: `assistant-request named assistant '${body.assistant_id}', which does not exist; using the saved assistant` };
    const override = body.assistant_override === undefined ? {} : obj(body.assistant_override);
    const why = override ? assistantProblem(override, "assistant_override", { ...chosen, ...override }) : "assistant_override must be an object";
    if (why) return { assistant: saved, problem: `assistant-request answer refused: ${why}; using the saved assistant` };
    const { webhook_secret: _mask, ...rest } = chosen;
    const secret = store.assistants.webhookSecret(chosen.id);
    assistant = { ...rest, webhook_secret_enc: secret ? store.box.seal(secret) : null };
    assistantId = chosen.id;
    assistant = { ...assistant, ...override };
  } else if (obj(body.assistant)) {
    // The answer is checked like POST /assistants, alone and merged: a webhook receiver must not be able
    // to install what the API would refuse (a provider we do not know, a realtime model with STT/TTS…).
    const why = assistantProblem(obj(body.assistant)!, "assistant", { ...saved, ...obj(body.assistant)! });
    if (why) return { assistant: saved, problem: `assistant-request answer refused: ${why}; using the saved assistant` };
    assistant = { ...saved, ...obj(body.assistant)! };
  }
  if (typeof body.max_duration_seconds === "number" && body.max_duration_seconds > 0) assistant = { ...assistant, max_duration_seconds: body.max_duration_seconds };
  // A webhook must not be able to swap in a secret through the override.
  delete (assistant as Record<string, unknown>).webhook_secret;
  return { assistant, assistantId };
}
