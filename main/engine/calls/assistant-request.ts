import type { Store } from "../store/index.js";
import type { CallRecord } from "../store/calls.js";
import type { WebhookService } from "../webhooks/service.js";
import type { FreeJson } from "../domain/schema.js";
import { envelope } from "../webhooks/payloads.js";
import { requestWebhook } from "../webhooks/request.js";
import { applyAssistantAnswer, type AssistantDecision } from "../assistants/resolve.js";

export type { AssistantDecision };

/**
 * Asks the assistant's webhook which configuration to run, before the call is answered, when the
 * assistant lists `assistant-request` in `webhook_events` (it must be listed: docs/decisions.md). 5 s
 * deadline; no answer, a non-2xx or invalid JSON → the saved assistant as it is. What the answer may
 * change is the assistants' rule (assistants/resolve.ts).
 */
export async function requestAssistant(
  store: Store,
  webhooks: WebhookService,
  call: CallRecord,
  saved: FreeJson,
  timeoutMs = 5000,
): Promise<AssistantDecision> {
  const url = typeof saved.webhook_url === "string" ? saved.webhook_url : null;
  const events = saved.webhook_events;
  if (!url || !Array.isArray(events) || !events.includes("assistant-request")) return { assistant: saved };
  const secretEnc = typeof saved.webhook_secret_enc === "string" ? saved.webhook_secret_enc : null;
  const env = envelope("assistant-request", call, webhooks.numberInfo(call), null);
  // Sent before the call is answered: the call is ringing from the receiver's point of view.
  const { assistant: _none, ...message } = { ...env, call: { ...env.call, status: "ringing" } };
  let answer: unknown;
  try {
    answer = await requestWebhook({
      url,
      event: "assistant-request",
      body: { message },
      secret: secretEnc ? store.box.open(secretEnc) : null,
      timeoutMs,
    });
  } catch (err) {
    return { assistant: saved, problem: `assistant-request: ${(err as Error).message}; using the saved assistant` };
  }
  return applyAssistantAnswer(store, saved, answer);
}
