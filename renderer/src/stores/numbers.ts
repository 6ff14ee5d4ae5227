import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { api } from "../api/client";
import type { PhoneNumber, PhoneNumberInput } from "../api/types";

/** Our phone numbers; the calls pages use it to show a number's name beside the digits. */
export const useNumbersStore = defineStore("numbers", () => {
  const numbers = ref<PhoneNumber[]>([]);
  const error = ref<string | null>(null);
  let loading: Promise<void> | null = null;

  async function load(): Promise<void> {
    try {
      numbers.value = (await api<{ numbers: PhoneNumber[] }>("/numbers")).numbers;
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    }
  }
  /** Loads once for the pages that only read names. */
  function ensure(): Promise<void> {
    return (loading ??= load());
  }

  const byPhone = computed(() => new Map(numbers.value.map((n) => [n.phone_number, n])));
  /** "+31850835037 (Front desk)" when the number has a name. */
  function label(phone: string | null | undefined): string {
    if (!phone) return "—";
    const name = byPhone.value.get(phone)?.name;
    return name ? `${phone} (${name})` : phone;
  }

  function put(n: PhoneNumber): PhoneNumber {
    const i = numbers.value.findIndex((x) => x.id === n.id);
    if (i >= 0) numbers.value[i] = n;
    else numbers.value.push(n);
    return n;
  }
  async function create(input: PhoneNumberInput): Promise<PhoneNumber> {
    return put(
      (await api<{ number: PhoneNumber }>("/numbers", { method: "POST", body: JSON.stringify(input) })).number,
    );
  }
  async function update(id: string, input: PhoneNumberInput): Promise<PhoneNumber> {
    const path = `/numbers/${encodeURIComponent(id)}`;
    return put((await api<{ number: PhoneNumber }>(path, { method: "PATCH", body: JSON.stringify(input) })).number);
  }
  async function remove(id: string): Promise<void> {
    await api(`/numbers/${encodeURIComponent(id)}`, { method: "DELETE" });
    numbers.value = numbers.value.filter((n) => n.id !== id);
  }

  return { numbers, error, load, ensure, label, create, update, remove };
});
