import { ref, watch, type Ref } from "vue";

/** The columns a person chose to see, remembered per browser; unknown ids from older saves are dropped. */
export function useStoredColumns<T extends string>(storageKey: string, all: readonly T[]): Ref<T[]> {
  let initial: T[] = [...all];
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? "null") as unknown;
    if (Array.isArray(saved)) initial = all.filter((id) => saved.includes(id));
  } catch {
    // A hand-edited or corrupt value: show every column.
  }
  const visible = ref(initial) as Ref<T[]>;
  watch(visible, (v) => localStorage.setItem(storageKey, JSON.stringify(v)), { deep: true });
  return visible;
}
