import type { Store } from "../store/index.js";
import { invalid, notFound } from "../domain/errors.js";
import { adaptSpeechToModel, withSpeechDefaults } from "../domain/speech-defaults.js";
import { checkAssistantConfig } from "./rules.js";
import { assistantProblem } from "./check.js";
import { SECRET_MASK } from "../store/assistants.js";
import type { AssistantInput, ResolvedAssistant } from "../domain/assistant.js";
import type { FreeJson } from "../domain/schema.js";

/** Which assistant a call should run, as a request names it (api-v1 §5.3). */
export interface AssistantChoice {
  /** Reference mode: a saved assistant. */
  assistantId?: string;
  /** Transient mode: the whole assistant in the request. */
  transient?: AssistantInput;
  /** Hybrid mode (with assistantId): each top-level key replaces that whole block of the saved one. */
  override?: AssistantInput;
  firstMessage?: string;
  metadata?: FreeJson;
}

/**
 * Resolves reference, transient and hybrid mode into the assistant the call runs, by the same rules and
 * defaults as a saved assistant (issue #13 §4). The result keeps its webhook secret only sealed
 * (`webhook_secret_enc`), and its metadata is the assistant's, else the request's.
 */
export function resolveCallAssistant(
  store: Store,
  choice: AssistantChoice,
): Omit<ResolvedAssistant, "metadata"> & { metadata: FreeJson | null } {
  const { assistantId, transient, override } = choice;
  if (assistantId && transient)
    throw invalid("Send either body.assistant_id (saved assistant) or body.assistant (transient), not both");
  if (transient && override)
    throw invalid(
      "body.assistant_override applies to a saved assistant: send it with body.assistant_id, not with body.assistant",
    );
  if (!assistantId && !transient)
    throw invalid("body.assistant_id or body.assistant is required (which assistant should talk?)", "missing_field");

  let assistant: ResolvedAssistant;
  let sealedSecret: string | null = null;
  if (assistantId) {
    const saved = store.assistants.get(assistantId);
    if (!saved) throw notFound("Assistant", assistantId);
    if (!saved.is_active)
      throw invalid(`Assistant '${saved.name}' is not active: set is_active to true first`, "assistant_inactive");
    const secret = store.assistants.webhookSecret(assistantId);
    sealedSecret = secret ? store.box.seal(secret) : null;
    // Hybrid mode: each top-level key of the override replaces that whole block (webhooks.md §6).
    assistant = { ...saved, ...(override ? adaptSpeechToModel(saved, override) : {}) };
    if (override) checkAssistantConfig(assistant, "body.assistant_override");
  } else {
    if (!transient!.llm_config)
      throw invalid("body.assistant.llm_config is required for a transient assistant", "missing_field");
    checkAssistantConfig(transient!, "body.assistant");
    assistant = withSpeechDefaults({ name: "Transient assistant", ...transient });
  }
  if (typeof choice.firstMessage === "string") assistant.first_message = choice.firstMessage;
  if (typeof assistant.webhook_secret === "string" && assistant.webhook_secret !== SECRET_MASK)
    sealedSecret = store.box.seal(assistant.webhook_secret);
  const metadata = assistant.metadata ?? choice.metadata ?? null;
  delete assistant.webhook_secret;
  return { ...assistant, metadata, webhook_secret_enc: sealedSecret };
}

/** What an `assistant-request` answer decided for an inbound call (webhooks.md §6). */
export interface AssistantDecision {
  /** The resolved assistant for the call (the saved one itself when the answer changed nothing or was refused). */
  assistant: FreeJson;
  /** A saved assistant chosen by `assistant_id`. */
  assistantId?: string;
  /** `{ "error": "…" }`: say this, then hang up. */
  reject?: string;
  /** Why the webhook's answer was not used, for the call's events. */
  problem?: string;
}

const obj = (v: unknown): FreeJson | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as FreeJson) : null);

/**
 * Applies a webhook's `assistant-request` answer (any JSON) to the assistant a call was going to run
 * (`saved`, as stored with the call). Transient `{assistant}` and hybrid `{assistant_id, assistant_override}`
 * are both shallow merges: each top-level key replaces that whole block. An answer the API would refuse is
 * not used: a webhook receiver must not be able to install a provider we do not know, a realtime model with
 * STT/TTS, or a secret of its own.
 */
export function applyAssistantAnswer(store: Store, saved: FreeJson, answer: unknown): AssistantDecision {
  const body = obj(answer) ?? {};
  if (typeof body.error === "string" && body.error.trim()) return { assistant: saved, reject: body.error };
  let assistant = saved;
  let assistantId: string | undefined;
  if (typeof body.assistant_id === "string") {
    const chosen = store.assistants.get(body.assistant_id);
    if (!chosen)
      return {
        assistant: saved,
        problem: `assistant-request named assistant '${body.assistant_id}', which does not exist; using the saved assistant`,
      };
    const override = body.assistant_override === undefined ? {} : obj(body.assistant_override);
    const why = override
      ? assistantProblem(override, "assistant_override", (valid) => ({ ...chosen, ...valid }))
      : "assistant_override must be an object";
    if (why)
      return { assistant: saved, problem: `assistant-request answer refused: ${why}; using the saved assistant` };
    const { webhook_secret: _mask, ...rest } = chosen;
    const secret = store.assistants.webhookSecret(chosen.id);
    assistant = { ...rest, webhook_secret_enc: secret ? store.box.seal(secret) : null, ...override };
    assistantId = chosen.id;
  } else if (obj(body.assistant)) {
    const transient = obj(body.assistant)!;
    // Checked alone and merged over what the call would have run.
    const why = assistantProblem(transient, "assistant", (valid) => ({ ...saved, ...valid }));
    if (why)
      return { assistant: saved, problem: `assistant-request answer refused: ${why}; using the saved assistant` };
    assistant = { ...saved, ...transient };
  }
  if (typeof body.max_duration_seconds === "number" && body.max_duration_seconds > 0)
    assistant = { ...assistant, max_duration_seconds: body.max_duration_seconds };
  // A webhook must not be able to swap in a secret through the override.
  delete assistant.webhook_secret;
  return { assistant, assistantId };
}
