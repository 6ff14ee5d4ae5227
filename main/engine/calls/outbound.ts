import type { Store } from "../store/index.js";
import type { NewCall } from "../store/calls.js";
import { invalid, notFound } from "../errors.js";
import { checkAssistantConfig } from "../api/routes/assistants.js";
import { adaptSpeechToModel, withSpeechDefaults } from "../assistants/speech-defaults.js";
import { SECRET_MASK } from "../store/assistants.js";
import { newCallId } from "../util/ids.js";
import { checkOutboundRoute } from "./outbound-route.js";
import { checkDestination } from "./destination-policy.js";

export interface OutboundPlan { call: NewCall; assistant: Record<string, unknown> }

/** Picks one of two spellings (current and deprecated); both at once is ambiguous. */
function pick(body: Record<string, unknown>, current: string, deprecated: string): unknown {
  if (body[current] !== undefined && body[deprecated] !== undefined) {
    throw invalid(`body.${current} and its deprecated alias body.${deprecated} were both sent: send only ${current}`);
  }
  return body[current] ?? body[deprecated];
}

/**
 * Resolves an outbound request into the call row and the assistant configuration for this call
 * (api-v1 §5.3): reference, transient or hybrid mode, with the deprecated aliases.
 * The resolved assistant keeps secrets only sealed (`webhook_secret_enc`).
 */
export function resolveOutbound(store: Store, body: Record<string, unknown>): OutboundPlan {
  const assistantId = pick(body, "assistant_id", "agent_id") as string | undefined;
  const transient = pick(body, "assistant", "agent") as Record<string, unknown> | undefined;
  const override = pick(body, "assistant_override", "agent_config") as Record<string, unknown> | undefined;

  if (assistantId && transient) throw invalid("Send either body.assistant_id (saved assistant) or body.assistant (transient), not both");
  if (transient && override) throw invalid("body.assistant_override applies to a saved assistant: send it with body.assistant_id, not with body.assistant");
  if (!assistantId && !transient) throw invalid("body.assistant_id or body.assistant is required (which assistant should talk?)", "missing_field");

  let assistant: Record<string, unknown>;
  let sealedSecret: string | null = null;
  if (assistantId) {
    const saved = store.assistants.get(assistantId);
    if (!saved) throw notFound("Assistant", assistantId);
    if (!saved.is_active) throw invalid(`Assistant '${saved.name}' is not active: set is_active to true first`, "assistant_inactive");
    const secret = store.assistants.webhookSecret(assistantId);
    sealedSecret = secret ? store.box.seal(secret) : null;
    // Hybrid mode: each top-level key of the override replaces that whole block (webhooks.md §6).
    assistant = { ...saved, ...(override ? adaptSpeechToModel(saved, override) : {}) };
    if (override) checkAssistantConfig(assistant, "body.assistant_override");
  } else {
    if (!transient!.llm_config) throw invalid("body.assistant.llm_config is required for a transient assistant", "missing_field");
    // The same rules and defaults as a saved assistant (issue #13 §4): speech settings left out are filled.
    checkAssistantConfig(transient!, "body.assistant");
    assistant = withSpeechDefaults({ name: "Transient assistant", ...transient });
  }
  if (typeof body.first_message === "string") assistant.first_message = body.first_message;
  if (typeof assistant.webhook_secret === "string" && assistant.webhook_secret !== SECRET_MASK) sealedSecret = store.box.seal(assistant.webhook_secret);
  const metadata = (assistant.metadata ?? body.metadata ?? null) as Record<string, unknown> | null;
  delete assistant.webhook_secret;
  assistant = { ...assistant, metadata, webhook_secret_enc: sealedSecret };

  const numberId = body.number_id as string | undefined;
  type NumberRow = { id: string; phone_number: string; name: string | null; is_active: number; sip_trunk_id: string | null };
  const number = numberId
    ? store.db.prepare("SELECT id, phone_number, name, is_active, sip_trunk_id FROM numbers WHERE id = ?").get(numberId) as NumberRow | undefined
    : store.db.prepare("SELECT id, phone_number, name, is_active, sip_trunk_id FROM numbers WHERE is_active = 1 ORDER BY created_at LIMIT 1").get() as NumberRow | undefined;
  if (numberId && !number) throw notFound("Number", numberId);
  if (number && !number.is_active) throw invalid(`Number ${number.phone_number} is not active: activate it or choose another number_id`);
  checkOutboundRoute(store, number ?? null);
  checkDestination(store, body.destination as string);

  const id = newCallId("outbound");
  return {
    assistant,
    call: {
      id,
      status: "connecting",
      direction: "outbound",
      // caller_phone is always the customer's side (the webhook's `customer.number`), whichever way the call goes.
      caller_phone: (body.destination as string).startsWith("+") ? (body.destination as string) : null,
      assistant_phone: number?.phone_number ?? null,
      number_id: number?.id ?? null,
      phone_number: number?.phone_number ?? null,
      agent_id: assistantId ?? null,
      agent_name: (assistant.name as string) ?? null,
      business_name: (assistant.business_name as string) ?? null,
      destination: body.destination as string,
      room_name: id.replace(/^call-/, ""),
      assistant_config: assistant,
      metadata,
    },
  };
}
