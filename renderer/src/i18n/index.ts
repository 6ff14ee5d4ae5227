import { createI18n } from "vue-i18n";

export const LOCALES = ["en", "nl"] as const;
export type Locale = (typeof LOCALES)[number];
const LOCALE_STORAGE = "voicedock.locale";

interface Messages {
  [key: string]: string | Messages;
}

// One JSON file per area and language: `en/trunks.json` becomes `messages.en.trunks`, so pages of other
// areas add their texts by adding files, without touching a shared catalogue.
const files = import.meta.glob<{ default: Messages }>("./locales/*/*.json", { eager: true });

function collect(): Record<Locale, Messages> {
  const messages: Record<string, Messages> = { en: {}, nl: {} };
  for (const [path, mod] of Object.entries(files)) {
    const [, locale, area] = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path) ?? [];
    if (locale && area) (messages[locale] ??= {})[area] = mod.default;
  }
  return messages as Record<Locale, Messages>;
}

/** The saved choice, else the browser's first language we have, else English. */
export function initialLocale(): Locale {
  const saved = localStorage.getItem(LOCALE_STORAGE);
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  const browser = (navigator.languages ?? [navigator.language]).map((l) => l.slice(0, 2).toLowerCase());
  return (browser.find((l) => (LOCALES as readonly string[]).includes(l)) as Locale | undefined) ?? "en";
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale() as string,
  fallbackLocale: "en",
  messages: collect(),
  // A missing key must be seen (the key shows on the page and the console warns); the unit test
  // test/unit/i18n-keys.test.ts fails CI on the ones it can find statically.
  missingWarn: true,
  fallbackWarn: true,
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(LOCALE_STORAGE, locale);
  document.documentElement.lang = locale;
}
