import { defineStore } from "pinia";
import { ref } from "vue";
import { api } from "../api/client";
import type { AssistantSummary } from "../api/types";

/** Assistant names and ids for pickers (the assistants page owns the full objects). */
export const useAssistantsStore = defineStore("assistant-picker", () => {
  const assistants = ref<AssistantSummary[]>([]);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      const res = await api<{ assistants: AssistantSummary[] }>("/assistants");
      assistants.value = res.assistants.map(({ id, name }) => ({ id, name }));
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  return { assistants, error, load };
});
