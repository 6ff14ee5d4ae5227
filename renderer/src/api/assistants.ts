// Typed calls for the Assistants page: assistants, their templates, provider checks, voices and previews.
import { api, apiBase, apiKey, ApiError } from "./client";

import type {
  Assistant,
  AssistantChecks,
  AssistantConfig,
  AssistantTemplate,
  ToolTemplate,
  Voice,
} from "./assistant-types";

export type * from "./assistant-types";

const post = (body?: unknown): RequestInit => ({
  method: "POST",
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const path = (id: string) => `/assistants/${encodeURIComponent(id)}`;

export const assistantApi = {
  list: () => api<{ assistants: Assistant[] }>("/assistants").then((r) => r.assistants),
  get: (id: string) => api<{ assistant: Assistant }>(path(id)).then((r) => r.assistant),
  create: (body: AssistantConfig) =>
    api<{ assistant: Assistant; checks?: AssistantChecks }>("/assistants", post(body)).then((r) => r.assistant),
  update: (id: string, patch: Partial<AssistantConfig>) =>
    api<{ assistant: Assistant }>(path(id), { method: "PATCH", body: JSON.stringify(patch) }).then((r) => r.assistant),
  remove: (id: string) => api<{ success: true }>(path(id), { method: "DELETE" }),
  check: (id: string) => api<AssistantChecks & { assistant_id: string }>(`${path(id)}/check`, post()),
  templates: () => api<{ templates: AssistantTemplate[] }>("/assistant-templates").then((r) => r.templates),
  toolTemplates: () => api<{ tool_templates: ToolTemplate[] }>("/tool-templates").then((r) => r.tool_templates),
  voices: () => api<{ voices: Voice[] }>("/voices").then((r) => r.voices),
};

/** The first message spoken in a voice, as WAV bytes (POST /voices/preview answers audio, not JSON). */
export async function previewVoice(tts: { provider: string; voice_id: string }, text: string): Promise<Blob> {
  const headers = new Headers({ "content-type": "application/json" });
  const key = apiKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  const res = await fetch(`${apiBase()}/api/v1/voices/preview`, {
    method: "POST",
    headers,
    body: JSON.stringify({ provider: tts.provider, voice_id: tts.voice_id, text }),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body.error ?? res.statusText, body.message ?? `Request failed (${res.status})`);
  }
  return res.blob();
}
