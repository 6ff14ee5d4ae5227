import type { AssistantBody, AssistantTemplate } from "../../api/welcome-types";

/**
 * The recognizer: the template's own (Whisper, after a download) or PocketSphinx, which needs no download
 * but understands English only and less well. It lets an English assistant work before a download ends.
 */
export type Recognizer = "template" | "pocketsphinx";

/** What the wizard lets a person change in a template before saving it as their assistant. */
export interface AssistantDraft {
  name: string;
  first_message: string;
  /** null when the template's LLM takes no base URL (a cloud provider): the field is not shown. */
  llm_base_url: string | null;
  llm_model: string;
  recording_enabled: boolean;
  recognizer: Recognizer;
}

export function draftOf(tpl: AssistantTemplate): AssistantDraft {
  const llm = tpl.assistant.llm_config;
  const takesUrl = llm?.provider === "openai_compatible" || typeof llm?.base_url === "string";
  return {
    name: tpl.assistant.name ?? tpl.name,
    first_message: tpl.assistant.first_message ?? "",
    llm_base_url: takesUrl ? (llm?.base_url ?? "") : null,
    llm_model: llm?.model ?? "",
    recording_enabled: tpl.assistant.recording_enabled ?? false,
    recognizer: "template",
  };
}

/** PocketSphinx ships an English model only (Debian's pocketsphinx-en-us). */
export const offersPocketsphinx = (tpl: AssistantTemplate) => tpl.language.toLowerCase().startsWith("en");

/** The models to download for this choice: none when PocketSphinx replaces the template's recognizer. */
export function modelsFor(tpl: AssistantTemplate, recognizer: Recognizer): string[] {
  return recognizer === "pocketsphinx" ? [] : tpl.required_models;
}

/** The template's assistant with the person's changes: everything else of the template is kept as it is. */
export function assistantBody(tpl: AssistantTemplate, d: AssistantDraft): AssistantBody {
  const body: AssistantBody = {
    ...tpl.assistant,
    name: d.name.trim(),
    first_message: d.first_message.trim() || null,
    recording_enabled: d.recording_enabled,
  };
  if (tpl.assistant.llm_config) {
    const llm = { ...tpl.assistant.llm_config };
    if (d.llm_model.trim()) llm.model = d.llm_model.trim();
    if (d.llm_base_url !== null) llm.base_url = d.llm_base_url.trim() || undefined;
    body.llm_config = llm;
  }
  if (d.recognizer === "pocketsphinx") body.stt_config = { provider: "pocketsphinx", language: "en" };
  return body;
}
