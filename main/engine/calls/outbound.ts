import type { Store } from "../store/index.js";
import type { NewCall } from "../store/calls.js";
import type { AssistantInput } from "../domain/assistant.js";
import type { FreeJson } from "../domain/schema.js";
import { invalid, notFound } from "../domain/errors.js";
import { resolveCallAssistant } from "../assistants/resolve.js";
import { newCallId } from "../util/ids.js";
import { checkOutboundRoute } from "./outbound-route.js";
import { checkDestination } from "./destination-policy.js";

/** An outbound call as POST /calls/outbound (or a campaign) asks for it, deprecated aliases included. */
export interface OutboundRequest {
  destination: string;
  number_id?: string;
  assistant_id?: string;
  agent_id?: string;
  assistant?: AssistantInput;
  agent?: AssistantInput;
  assistant_override?: AssistantInput;
  agent_config?: AssistantInput;
  first_message?: string;
  metadata?: FreeJson;
  /** Local addition: "person" places a call a person makes from the console, with no assistant on it. */
  handled_by?: "assistant" | "person";
}

const ASSISTANT_FIELDS = [
  "assistant_id",
  "agent_id",
  "assistant",
  "agent",
  "assistant_override",
  "agent_config",
  "first_message",
] as const;

/**
 * `assistant` is the JSON stored with the call (store.calls.assistantConfig): what the voice pipeline runs,
 * and what a campaign adds its system message to.
 */
export interface OutboundPlan {
  call: NewCall;
  assistant: FreeJson;
}

/** Picks one of two spellings (current and deprecated); both at once is ambiguous. */
function pick<K extends keyof OutboundRequest>(body: OutboundRequest, current: K, deprecated: K): OutboundRequest[K] {
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
export function resolveOutbound(store: Store, body: OutboundRequest): OutboundPlan {
  const person = body.handled_by === "person";
  if (person) {
    const sent = ASSISTANT_FIELDS.filter((f) => body[f] !== undefined);
    if (sent.length)
      throw invalid(
        `A call with handled_by "person" has no assistant: leave out body.${sent.join(", body.")}`,
        "invalid_field",
      );
  }
  const assistantId = person ? undefined : pick(body, "assistant_id", "agent_id");
  const assistant = person
    ? { metadata: body.metadata ?? null }
    : resolveCallAssistant(store, {
        assistantId,
        transient: pick(body, "assistant", "agent"),
        override: pick(body, "assistant_override", "agent_config"),
        firstMessage: body.first_message,
        metadata: body.metadata,
      });

  const numberId = body.number_id;
  const number = store.numbers.forOutbound(numberId);
  if (numberId && !number) throw notFound("Number", numberId);
  if (number && !number.is_active)
    throw invalid(`Number ${number.phone_number} is not active: activate it or choose another number_id`);
  checkOutboundRoute(store, number ?? null);
  checkDestination(store, body.destination);

  const id = newCallId("outbound");
  return {
    assistant,
    call: {
      id,
      status: "connecting",
      direction: "outbound",
      // caller_phone is always the customer's side (the webhook's `customer.number`), whichever way the call goes.
      caller_phone: body.destination.startsWith("+") ? body.destination : null,
      assistant_phone: number?.phone_number ?? null,
      number_id: number?.id ?? null,
      phone_number: number?.phone_number ?? null,
      agent_id: assistantId ?? null,
      agent_name: "name" in assistant ? (assistant.name ?? null) : null,
      business_name: "business_name" in assistant ? (assistant.business_name ?? null) : null,
      destination: body.destination,
      room_name: id.replace(/^call-/, ""),
      // A person's call runs no assistant: with no configuration the live call is the person's from answer on.
      assistant_config: person ? null : assistant,
      metadata: assistant.metadata,
    },
  };
}
