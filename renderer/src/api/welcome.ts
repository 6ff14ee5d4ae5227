// Typed calls of the first-run wizard: assistant templates, creating an assistant, the test call.
import { api } from "./client";
import type { AssistantBody, AssistantCheck, AssistantTemplate, CreatedAssistant } from "./welcome-types";

export type { AssistantBody, AssistantCheck, AssistantTemplate, CreatedAssistant };

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
