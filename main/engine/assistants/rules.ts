import { invalid } from "../domain/errors.js";
import { REALTIME_LLM_PROVIDERS } from "../domain/speech-defaults.js";
import { unsupportedProblem } from "./support.js";

/**
 * What the rules read. Looser than AssistantInput on purpose: a merged assistant (a saved one under an
 * override, a webhook's answer over the stored config) is checked as a whole, whatever else it carries.
 */
export type AssistantRuleInput = {
  llm_config?: { provider?: string } | null;
  stt_config?: unknown;
  tts_config?: unknown;
  [field: string]: unknown;
};

/**
 * The cross-field rules that a JSON Schema cannot say clearly (api-v1 §2.1), for every way an assistant
 * arrives: saved, patched, transient, overridden or chosen by a webhook. `where` names the object in the
 * message (`body`, `body.assistant_override`…).
 */
export function checkAssistantConfig(a: AssistantRuleInput, where = "body"): void {
  const unsupported = unsupportedProblem(a, where);
  if (unsupported) throw invalid(unsupported, "not_supported");
  const llm = a.llm_config;
  if (!llm?.provider) return;
  const realtime = (REALTIME_LLM_PROVIDERS as readonly string[]).includes(llm.provider);
  if (realtime && (a.stt_config || a.tts_config)) {
    throw invalid(
      `${where}.stt_config and ${where}.tts_config must be omitted when llm_config.provider is '${llm.provider}' (the model hears and speaks itself)`,
    );
  }
  if (!realtime && a.stt_config === null)
    throw invalid(`${where}.stt_config is required when llm_config.provider is '${llm.provider}'`, "missing_field");
  if (!realtime && a.tts_config === null)
    throw invalid(`${where}.tts_config is required when llm_config.provider is '${llm.provider}'`, "missing_field");
}
