import { defineStore } from "pinia";
import { reactive, ref } from "vue";
import { api } from "../api/client";
import type { Call, CallList, EngineEvent } from "../api/types";
import {
  applyLog,
  isLive,
  rowFromCall,
  turnFrom,
  withCall,
  type LiveLine,
  type LiveRow,
  type TurnLatency,
} from "../components/live/live-board";

/** Recent turns kept per call for the latency meter's sparkline. */
const TURNS_KEPT = 30;
/** Calls whose turns are kept (a console open for days sees many calls). */
const CALLS_KEPT = 50;

type LogEntry = { type: string; data: Record<string, unknown>; at: string };

/**
 * Calls in progress (and ringing or connecting) for the live board, and each call's recent turn latencies
 * for the latency meter, kept from the events stream (App.vue feeds `apply`). Components that follow one
 * call's lines subscribe to `apply` (see LiveTranscript.vue).
 */
export const useLiveStore = defineStore("live", () => {
  const rows = reactive(new Map<string, LiveRow>());
  const turns = reactive(new Map<string, TurnLatency[]>());
  const loading = ref(false);
  const error = ref<string | null>(null);
  const seeded = new Set<string>();

  function upsert(call: Call, patch: Partial<LiveRow> = {}): void {
    const row = rows.get(call.id);
    rows.set(call.id, { ...(row ? withCall(row, call) : rowFromCall(call)), ...patch });
  }

  function addTurn(callId: string, t: TurnLatency): void {
    const list = turns.get(callId) ?? [];
    if (list.some((x) => x.turn === t.turn)) return;
    list.push(t);
    list.sort((a, b) => a.turn - b.turn);
    if (list.length > TURNS_KEPT) list.splice(0, list.length - TURNS_KEPT);
    turns.set(callId, list);
    if (turns.size > CALLS_KEPT) turns.delete(turns.keys().next().value!);
  }

  function apply(e: EngineEvent): void {
    const ev = e as EngineEvent & Record<string, unknown>;
    switch (e.type) {
      case "call.created":
      case "call.updated":
      case "call.incoming": {
        const call = ev.call as Call;
        if (!isLive(call)) rows.delete(call.id);
        else upsert(call, e.type === "call.incoming" ? { ringingConsole: true } : {});
        return;
      }
      case "call.ended":
        rows.delete((ev.call as Call).id);
        return;
    }
    const id = ev.call_id as string | undefined;
    const row = id ? rows.get(id) : undefined;
    switch (e.type) {
      case "call.message": {
        const line: LiveLine = {
          ...(ev.message as LiveLine),
          ...(ev.origin === "say" ? { origin: "say" as const } : {}),
          ...(ev.speaker === "operator" ? { operator: true } : {}),
        };
        if (row) rows.set(id!, { ...row, lastLine: line });
        return;
      }
      case "call.hold":
        if (row) rows.set(id!, applyLog(row, ev.on_hold ? "hold" : "unhold", {}));
        return;
      case "call.owner":
        if (row) rows.set(id!, applyLog(row, String(ev.change), {}));
        return;
      case "call.turn": {
        if (row) rows.set(id!, applyLog(row, "turn", ev));
        const t = turnFrom(ev);
        if (t && id) addTurn(id, t);
        return;
      }
    }
  }

  /**
   * A call's log so far: hold, owner and turns for a call the console joined mid-way. Once per call;
   * what the stream said since the page opened wins over the log, which is older.
   */
  async function seed(callId: string): Promise<void> {
    if (seeded.has(callId)) return;
    seeded.add(callId);
    try {
      const { events } = await api<{ events: LogEntry[] }>(`/calls/${encodeURIComponent(callId)}/events`);
      for (const e of events) {
        const t = e.type === "turn" ? turnFrom(e.data) : null;
        if (t) addTurn(callId, t);
      }
      const row = rows.get(callId);
      if (row)
        rows.set(
          callId,
          events.reduce((r, e) => applyLog(r, e.type, e.data), row),
        );
    } catch {
      seeded.delete(callId); // tried again next time the call is shown
    }
  }

  /** The calls not yet ended, then each one's log; rows the stream added meanwhile keep what it said. */
  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      const lists = await Promise.all(
        ["in-progress", "connecting"].map((s) => api<CallList>(`/calls?status=${s}&limit=100`)),
      );
      for (const call of lists.flatMap((l) => l.calls)) if (!rows.has(call.id)) upsert(call);
      await Promise.all([...rows.keys()].map((id) => seed(id)));
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  const turnsOf = (callId: string): TurnLatency[] => turns.get(callId) ?? [];

  return { rows, turns, loading, error, apply, load, seed, turnsOf };
});
