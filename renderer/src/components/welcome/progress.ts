/**
 * Where a person is in the first-run wizard. What exists (a trunk, a number, an assistant) is read from
 * the engine each time; only what the engine cannot know is kept here, in this browser: the step shown,
 * the steps skipped, which of several things the wizard made, and whether it was finished.
 */
export const STEPS = ["trunk", "number", "assistant", "call"] as const;
export type StepId = (typeof STEPS)[number];

export interface WelcomeProgress {
  step: StepId;
  skipped: StepId[];
  trunk_id?: string;
  number_id?: string;
  assistant_id?: string;
  template_id?: string;
  call_id?: string;
  finished: boolean;
}

export const PROGRESS_STORAGE = "voicedock.welcome";

/** The part of the browser's Storage used here (a Map stands in for it in unit tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const fresh = (): WelcomeProgress => ({ step: "trunk", skipped: [], finished: false });
const isStep = (s: unknown): s is StepId => (STEPS as readonly unknown[]).includes(s);
const optionalId = (v: unknown) => (typeof v === "string" && v ? v : undefined);

/** The saved progress; anything unreadable (another version, a hand edit) starts the wizard afresh. */
export function loadProgress(storage: Pick<KeyValueStore, "getItem">): WelcomeProgress {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(PROGRESS_STORAGE) ?? "null");
  } catch {
    return fresh();
  }
  if (!raw || typeof raw !== "object") return fresh();
  const r = raw as Record<string, unknown>;
  return {
    step: isStep(r.step) ? r.step : "trunk",
    skipped: Array.isArray(r.skipped) ? [...new Set(r.skipped.filter(isStep))] : [],
    trunk_id: optionalId(r.trunk_id),
    number_id: optionalId(r.number_id),
    assistant_id: optionalId(r.assistant_id),
    template_id: optionalId(r.template_id),
    call_id: optionalId(r.call_id),
    finished: r.finished === true,
  };
}

export function saveProgress(storage: Pick<KeyValueStore, "setItem">, p: WelcomeProgress): void {
  const clean = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  storage.setItem(PROGRESS_STORAGE, JSON.stringify(clean));
}

/** The step after `step`, or null after the last one. */
export function nextStep(step: StepId): StepId | null {
  return STEPS[STEPS.indexOf(step) + 1] ?? null;
}
export function previousStep(step: StepId): StepId | null {
  return STEPS[STEPS.indexOf(step) - 1] ?? null;
}

/** Skipping marks a step to come back to; doing it later clears the mark. */
export function markSkipped(p: WelcomeProgress, step: StepId, skipped: boolean): StepId[] {
  const rest = p.skipped.filter((s) => s !== step);
  return skipped ? [...rest, step] : rest;
}

/**
 * Where the console opens after a sign-in: the wizard while nothing is set up and it was not finished,
 * else the calls list. A console with a trunk or a number is someone's working setup, not a first run.
 */
export function landingPath(p: WelcomeProgress, configured: { trunks: number; numbers: number }): string {
  if (p.finished || configured.trunks > 0 || configured.numbers > 0) return "/calls";
  return "/welcome";
}
