import type { Assistant, AssistantConfig } from "../../api/assistant-types";

/** What the availability check reads of a catalogue model (GET /models). */
export interface ModelState {
  id: string;
  installed: boolean;
  download: { state: string } | null;
}

/** Fields the engine owns or never gives back: they are not part of what the editor sends. */
const SERVER_FIELDS = ["id", "created_at", "updated_at", "webhook_secret"] as const;

/** A deep, editable copy of a saved assistant without its server-owned fields or masked secret. */
export function editableCopy(a: Assistant | AssistantConfig): AssistantConfig {
  // Through JSON, not structuredClone: the draft is a Vue proxy, which structuredClone refuses.
  const copy = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
  for (const f of SERVER_FIELDS) delete copy[f];
  return copy as AssistantConfig;
}

/** What happens to the write-only webhook secret on save. */
export type SecretChange = { mode: "keep" } | { mode: "set"; value: string } | { mode: "clear" };

/** PATCH replaces each field sent whole: the draft is sent complete, the secret only when it changed. */
export function toPatch(draft: AssistantConfig, secret: SecretChange): AssistantConfig {
  const body = prune(editableCopy(draft));
  if (secret.mode === "set") body.webhook_secret = secret.value;
  if (secret.mode === "clear") body.webhook_secret = null;
  return body;
}

/** A copy to POST: the secret cannot be copied (the engine never returns it), so the copy has none. */
export function duplicateBody(a: Assistant, name: string): AssistantConfig {
  return { ...editableCopy(a), name };
}

/** The system prompt is the first system message of `llm_config.messages` (how the API carries it). */
export function systemPrompt(a: AssistantConfig): string {
  return a.llm_config?.messages?.find((m) => m.role === "system")?.content ?? "";
}

export function setSystemPrompt(a: AssistantConfig, prompt: string): void {
  if (!a.llm_config) return;
  const messages = [...(a.llm_config.messages ?? [])];
  const i = messages.findIndex((m) => m.role === "system");
  if (i >= 0) messages[i] = { role: "system", content: prompt };
  else messages.unshift({ role: "system", content: prompt });
  a.llm_config.messages = prompt || i >= 0 ? messages.filter((m) => m.role !== "system" || m.content) : messages;
}

/** Sets `obj[key]` from a form value, removing the key for an empty one so the engine's default applies. */
export function setOptional<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | "" | undefined): void {
  if (value === "" || value === undefined || (typeof value === "number" && Number.isNaN(value))) delete obj[key];
  else obj[key] = value as T[K];
}

/** Parses a number field: "" stays empty (the default applies), anything else must be a finite number. */
export function numberOrEmpty(text: string): number | "" {
  if (text.trim() === "") return "";
  const n = Number(text);
  return Number.isFinite(n) ? n : "";
}

export type ModelAvailability = "installed" | "downloading" | "missing" | "none_needed";

/**
 * Whether the catalogue model a local STT choice needs is on this machine. Only Whisper reads downloaded
 * files; PocketSphinx's English model ships with it and cloud providers need none.
 */
export function sttModelAvailability(
  stt: AssistantConfig["stt_config"],
  models: ModelState[],
): { state: ModelAvailability; modelId: string | null } {
  if (stt?.provider !== "whisper") return { state: "none_needed", modelId: null };
  const modelId = `whisper-${stt.model || "base.en"}`;
  const m = models.find((x) => x.id === modelId);
  if (!m) return { state: "missing", modelId: null };
  if (m.installed) return { state: "installed", modelId };
  if (m.download && ["downloading", "verifying"].includes(m.download.state)) return { state: "downloading", modelId };
  return { state: "missing", modelId };
}

const isEmptyObject = (v: unknown) =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** Gives a draft the nested objects the editor's fields write into, so no field has to create them. */
export function withSections(a: AssistantConfig): AssistantConfig {
  const speech = (a.speech_config ??= {});
  speech.turn_taking ??= {};
  speech.silence ??= {};
  const plan = (a.analysis_plan ??= {});
  plan.structured_data_plan ??= {};
  return a;
}

/** Drops the sections withSections added that stayed empty, so saving an untouched assistant changes nothing. */
export function prune(a: AssistantConfig): AssistantConfig {
  const speech = a.speech_config;
  if (speech) {
    if (isEmptyObject(speech.turn_taking)) delete speech.turn_taking;
    if (isEmptyObject(speech.silence)) delete speech.silence;
    if (isEmptyObject(speech)) a.speech_config = null;
  }
  const plan = a.analysis_plan;
  if (plan) {
    if (isEmptyObject(plan.structured_data_plan)) delete plan.structured_data_plan;
    if (isEmptyObject(plan)) a.analysis_plan = null;
  }
  return a;
}
