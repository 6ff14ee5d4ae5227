// Typed calls of the first-run wizard: assistant templates, creating an assistant, the test call.
import { api } from "./client";

/**
 * One entry of `GET /assistant-templates` (local addition): `assistant` is a ready `POST /assistants`
 * body on local engines, `required_models` are ids of the model catalogue (`GET /models`).
 */
export interface AssistantTemplate {
  id: string;
  name: string;
  description: string;
  /** BCP 47 language the assistant speaks. */
  language: string;
  assistant: AssistantBody;
  required_models: string[];
}

/** The part of a `POST /assistants` body the wizard reads or changes; the rest passes through as is. */
export interface AssistantBody {
  name: string;
  first_message?: string | null;
  recording_enabled?: boolean;
  llm_config?: { provider?: string; model?: string; base_url?: string | null; [k: string]: unknown };
  stt_config?: { provider?: string; model?: string; language?: string; [k: string]: unknown } | null;
  [k: string]: unknown;
}

export interface CreatedAssistant {
  id: string;
  name: string;
  stt_config?: { provider?: string } | null;
}

/** `POST /assistants/{id}/check` (local addition): whether each provider can work, before any call. */
export interface ProviderCheck {
  provider: string | null;
  ok: boolean;
  detail: string;
}
export interface AssistantCheck {
  ok: boolean;
  stt: ProviderCheck;
  llm: ProviderCheck;
  tts: ProviderCheck;
}

export const welcomeApi = {
  templates: () => api<{ templates: AssistantTemplate[] }>("/assistant-templates").then((r) => r.templates),
  createAssistant: (body: AssistantBody) =>
    api<{ assistant: CreatedAssistant }>("/assistants", { method: "POST", body: JSON.stringify(body) }).then(
      (r) => r.assistant,
    ),
  check: (id: string) => api<AssistantCheck>(`/assistants/${encodeURIComponent(id)}/check`, { method: "POST" }),
  assistants: () => api<{ assistants: CreatedAssistant[] }>("/assistants").then((r) => r.assistants),
  /** Reference mode: the saved assistant calls `destination` from our number `number_id`. */
  callOut: (destination: string, numberId: string, assistantId: string) =>
    api<{ call_id: string }>("/calls/outbound", {
      method: "POST",
      body: JSON.stringify({ destination, number_id: numberId, assistant_id: assistantId }),
    }),
};
