// Shapes of the endpoints the first-run wizard uses; no imports, so unit tests can type-check against them.

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
