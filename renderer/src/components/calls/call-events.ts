import { onBeforeUnmount, ref, watch, type Ref } from "vue";
import { api } from "../../api/client";
import type { CallEvent } from "./timeline";

/**
 * The call's log (GET /calls/{id}/events: turns, tool calls, takeovers, holds, digits…), read again
 * whenever `changed` does (the call row updated, a transcript line arrived), at most once a second.
 */
export function useCallEvents(id: () => string, changed: () => unknown): { events: Ref<CallEvent[]> } {
  const events = ref<CallEvent[]>([]);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  async function load(): Promise<void> {
    timer = null;
    last = Date.now();
    const callId = id();
    try {
      const r = await api<{ events: CallEvent[] }>(`/calls/${encodeURIComponent(callId)}/events`);
      if (callId === id()) events.value = r.events;
    } catch {
      // The log only adds to the page: without it the transcript still shows, with no markers or turns.
    }
  }
  function soon(): void {
    if (timer) return;
    timer = setTimeout(() => void load(), Math.max(0, 1000 - (Date.now() - last)));
  }
  watch(id, () => void load(), { immediate: true });
  watch(changed, soon);
  onBeforeUnmount(() => timer && clearTimeout(timer));
  return { events };
}
