import { onBeforeUnmount, ref, type Ref } from "vue";

/** A reactive `matchMedia`: true while the query matches. */
export function useMediaQuery(query: string): Ref<boolean> {
  const list = window.matchMedia(query);
  const matches = ref(list.matches);
  const onChange = (e: MediaQueryListEvent) => (matches.value = e.matches);
  list.addEventListener("change", onChange);
  onBeforeUnmount(() => list.removeEventListener("change", onChange));
  return matches;
}
