import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { api } from "../api/client";
import type { EngineEvent, Registration, SipTrunk, SipTrunkInput } from "../api/types";

/** The SIP trunks with their live registration, kept current from `trunk.registration` events. */
export const useTrunksStore = defineStore("trunks", () => {
  const trunks = ref<SipTrunk[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  /**
   * The newest registration event per trunk. A REGISTER can finish before the HTTP answer that started
   * it arrives; the answer's older state must not overwrite the event's newer one.
   */
  const lastEvent = new Map<string, { at: string; registration: Partial<Registration> }>();

  async function load(): Promise<void> {
    const at = new Date().toISOString();
    try {
      trunks.value = (await api<{ trunks: SipTrunk[] }>("/sip-trunks")).trunks.map((x) => withEvents(x, at));
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  function withEvents(trunk: SipTrunk, requestedAt?: string): SipTrunk {
    const seen = lastEvent.get(trunk.id);
    return requestedAt && seen && seen.at >= requestedAt
      ? { ...trunk, registration: { ...trunk.registration, ...seen.registration } }
      : trunk;
  }

  function put(answer: SipTrunk, requestedAt?: string): SipTrunk {
    const trunk = withEvents(answer, requestedAt);
    const i = trunks.value.findIndex((t) => t.id === trunk.id);
    if (i >= 0) trunks.value[i] = trunk;
    else trunks.value.push(trunk);
    return trunk;
  }

  async function create(input: SipTrunkInput): Promise<SipTrunk> {
    const at = new Date().toISOString();
    const res = await api<{ trunk: SipTrunk }>("/sip-trunks", { method: "POST", body: JSON.stringify(input) });
    return put(res.trunk, at);
  }
  async function update(id: string, input: SipTrunkInput): Promise<SipTrunk> {
    const path = `/sip-trunks/${encodeURIComponent(id)}`;
    const at = new Date().toISOString();
    return put((await api<{ trunk: SipTrunk }>(path, { method: "PATCH", body: JSON.stringify(input) })).trunk, at);
  }
  async function remove(id: string): Promise<void> {
    await api(`/sip-trunks/${encodeURIComponent(id)}`, { method: "DELETE" });
    trunks.value = trunks.value.filter((t) => t.id !== id);
  }
  async function registerNow(id: string): Promise<void> {
    const at = new Date().toISOString();
    const res = await api<{ trunk?: SipTrunk }>(`/sip-trunks/${encodeURIComponent(id)}/register`, { method: "POST" });
    if (res.trunk) put(res.trunk, at);
  }

  function apply(event: EngineEvent): void {
    if (event.type !== "trunk.registration" || !("trunk_id" in event)) return;
    lastEvent.set(event.trunk_id, { at: event.at, registration: event.registration });
    const trunk = trunks.value.find((t) => t.id === event.trunk_id);
    // Events carry the fields they know; keep the ones they leave out (server, contact…).
    if (trunk) trunk.registration = { ...trunk.registration, ...(event.registration as Registration) };
    else void load();
  }

  /** The worst state across the active trunks that register, for the header. */
  const overall = computed<Registration["status"] | "none">(() => {
    const registering = trunks.value.filter((t) => t.is_active && t.register);
    if (!registering.length) return "none";
    const order: Registration["status"][] = ["failed", "unregistered", "registering", "registered"];
    return order.find((s) => registering.some((t) => t.registration.status === s)) ?? "registered";
  });

  return { trunks, loaded, error, overall, load, create, update, remove, registerNow, apply };
});
