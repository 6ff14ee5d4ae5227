import { defineStore } from "pinia";
import { computed, reactive, ref } from "vue";
import { api } from "../api/client";
import type { Call, CallCoachEvent, CallList, CallMessage, CallStatus, EngineEvent } from "../api/types";
import { isMissedCall } from "../../../shared-types/calls";

export interface CallFilters {
  status: CallStatus | "";
  startDate: string;
  endDate: string;
  /** Free-text search: number, assistant or transcript text (the engine's `q`). */
  q: string;
  /** Only missed calls (the engine's `missed`). */
  missed: boolean;
  limit: number;
  offset: number;
}

const MISSED_SEEN_KEY = "voicedock.missedSeenAt";

/** The calls list with the API's filters, kept live from engine events. */
export const useCallsStore = defineStore("calls", () => {
  const calls = ref<Call[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Calls ringing the console, oldest first: a person may answer or decline them. */
  const incoming = ref<Call[]>([]);
  /** The newest transcript line of any call, as it streams in (the call page follows its own). */
  const lastMessage = ref<{ call_id: string; message: CallMessage } | null>(null);
  /** The latest `call.coach` event: a call's page tells its coaching console when its whisper stopped. */
  const lastCoach = ref<CallCoachEvent | null>(null);
  const filters = reactive<CallFilters>({
    status: "",
    startDate: "",
    endDate: "",
    q: "",
    missed: false,
    limit: 50,
    offset: 0,
  });
  /** Missed calls since the person last looked at the calls list (the badge in the navigation). */
  const missedUnseen = ref(0);

  const query = computed(() => {
    const q = new URLSearchParams({ limit: String(filters.limit), offset: String(filters.offset) });
    if (filters.status) q.set("status", filters.status);
    // Date inputs are local calendar days; the API takes ISO dates and includes the whole end day.
    if (filters.startDate) q.set("start_date", filters.startDate);
    if (filters.endDate) q.set("end_date", filters.endDate);
    // Only when set: an engine without search rejects or ignores the parameter.
    if (filters.q.trim()) q.set("q", filters.q.trim());
    if (filters.missed) q.set("missed", "true");
    return q.toString();
  });

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const res = await api<CallList>(`/calls?${query.value}`);
      calls.value = res.calls;
      total.value = res.pagination.total;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  function matches(call: Call): boolean {
    if (filters.status && call.status !== filters.status) return false;
    if (filters.missed && !isMissedCall(call)) return false;
    const day = call.created_at.slice(0, 10);
    if (filters.startDate && day < filters.startDate) return false;
    if (filters.endDate && day > filters.endDate) return false;
    return true;
  }

  function apply(event: EngineEvent): void {
    if (event.type === "call.coach") {
      lastCoach.value = event as CallCoachEvent;
      return;
    }
    if (event.type === "call.message" && "message" in event) {
      lastMessage.value = { call_id: event.call_id, message: event.message };
      return;
    }
    if (!("call" in event)) return;
    const call = (event as { call: Call }).call;
    if (event.type === "call.ended" && isMissedCall(call)) missedUnseen.value++;
    if (event.type === "call.incoming") {
      if (!incoming.value.some((c) => c.id === call.id)) incoming.value.push(call);
    } else if (call.status !== "connecting") incoming.value = incoming.value.filter((c) => c.id !== call.id);
    const i = calls.value.findIndex((c) => c.id === call.id);
    if (i >= 0) {
      if (matches(call)) calls.value[i] = call;
      else {
        calls.value.splice(i, 1);
        total.value--;
      }
    } else if (matches(call) && filters.offset === 0 && !filters.q.trim()) {
      // A search matches transcript text the event does not carry: only the engine can tell, so a
      // search list takes no live additions (updates to the rows it shows still apply).
      calls.value.unshift(call);
      total.value++;
      if (calls.value.length > filters.limit) calls.value.pop();
    }
  }

  /** Counts the missed calls since the list was last seen (kept in this browser), for the badge. */
  async function countMissed(): Promise<void> {
    const since = localStorage.getItem(MISSED_SEEN_KEY);
    if (!since) {
      seenMissed();
      return;
    }
    try {
      const res = await api<CallList>(`/calls?missed=true&limit=1&start_date=${encodeURIComponent(since)}`);
      // Unless the list was seen meanwhile.
      if (localStorage.getItem(MISSED_SEEN_KEY) === since) missedUnseen.value = res.pagination.total;
    } catch {
      // The badge is a hint: without it the calls list still shows every missed call.
    }
  }

  /** The person is looking at the calls list: what was missed until now has been seen. */
  function seenMissed(): void {
    localStorage.setItem(MISSED_SEEN_KEY, new Date().toISOString());
    missedUnseen.value = 0;
  }

  return {
    calls,
    total,
    loading,
    error,
    filters,
    incoming,
    lastMessage,
    lastCoach,
    missedUnseen,
    load,
    apply,
    countMissed,
    seenMissed,
  };
});
