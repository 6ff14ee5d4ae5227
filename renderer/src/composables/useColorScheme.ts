import { watchEffect } from "vue";
import { useMediaQuery } from "./useMediaQuery";

/**
 * Dark mode follows the OS: Element Plus's dark variables apply under `html.dark`, and our own styles
 * read the same variables, so one class switches everything.
 */
export function useColorScheme(): void {
  const dark = useMediaQuery("(prefers-color-scheme: dark)");
  watchEffect(() => {
    document.documentElement.classList.toggle("dark", dark.value);
    document.documentElement.style.colorScheme = dark.value ? "dark" : "light";
  });
}
