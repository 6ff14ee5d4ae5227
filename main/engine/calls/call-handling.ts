import type { Store } from "../store/index.js";
import { invalid } from "../domain/errors.js";

/**
 * Who answers incoming calls (the console's do-not-disturb and AI toggles, issue #16):
 * - `ring_me`: as numbers are set up — a number's assistant answers its calls, the others ring the consoles;
 * - `ai_answers_all`: nobody is rung; numbers without an assistant are answered by the fallback assistant;
 * - `ring_then_ai`: the consoles ring first, and after `ai_after_seconds` the assistant (the number's, else
 *   the fallback) answers;
 * - `reject`: do not disturb — calls that would ring the consoles are refused as busy (a number's own
 *   assistant still answers its calls).
 */
export const CALL_HANDLING_MODES = ["ring_me", "ai_answers_all", "ring_then_ai", "reject"] as const;
export type CallHandlingMode = (typeof CALL_HANDLING_MODES)[number];

export interface CallHandling {
  mode: CallHandlingMode;
  ai_after_seconds: number;
  fallback_assistant_id: string | null;
}

export const CALL_HANDLING_SETTING = "call_handling";
const DEFAULT: CallHandling = { mode: "ring_me", ai_after_seconds: 15, fallback_assistant_id: null };

export function callHandling(store: Store): CallHandling {
  return { ...DEFAULT, ...store.settings.get<Partial<CallHandling>>(CALL_HANDLING_SETTING, {}) };
}

/** Saves a change; a mode that needs an assistant for numbers without one refuses to go without it. */
export function setCallHandling(store: Store, change: Partial<CallHandling>): CallHandling {
  const next = { ...callHandling(store), ...change };
  if (next.fallback_assistant_id !== null) {
    const a = store.assistants.get(next.fallback_assistant_id);
    if (!a) throw invalid(`Assistant '${next.fallback_assistant_id}' does not exist`, "not_found");
    if (!a.is_active) throw invalid(`Assistant '${a.name}' is not active`, "assistant_inactive");
  }
  if ((next.mode === "ai_answers_all" || next.mode === "ring_then_ai") && next.fallback_assistant_id === null)
    throw invalid(
      `Mode '${next.mode}' needs call_handling.fallback_assistant_id: the assistant that answers calls to numbers that have none`,
      "missing_field",
    );
  store.settings.set(CALL_HANDLING_SETTING, next);
  return next;
}

/** What happens to one incoming call. */
export interface InboundPlan {
  /** The assistant that answers (at once, or when nobody picks up); null: only a person can. */
  assistantId: string | null;
  /** Ring the consoles first (for this long; then the assistant answers, or the call is missed). */
  ringSeconds: number | null;
  /** Refuse the call as busy (do not disturb). */
  busy: boolean;
}

/**
 * The plan for a call to a number with `ownAssistant` (null when it has none), given the setting, the
 * consoles' own ring time, and whether any console is open to ring.
 */
export function planInbound(
  h: CallHandling,
  ownAssistant: string | null,
  consoleRingSeconds: number,
  consolesOpen: boolean,
): InboundPlan {
  const ai = ownAssistant ?? h.fallback_assistant_id;
  switch (h.mode) {
    case "ring_me":
      return { assistantId: ownAssistant, ringSeconds: ownAssistant ? null : consoleRingSeconds, busy: false };
    case "ai_answers_all":
      return { assistantId: ai, ringSeconds: ai ? null : consoleRingSeconds, busy: false };
    case "ring_then_ai":
      // With no console open there is nobody to ring: the assistant answers at once.
      return {
        assistantId: ai,
        ringSeconds: !ai ? consoleRingSeconds : consolesOpen ? h.ai_after_seconds : null,
        busy: false,
      };
    case "reject":
      return { assistantId: ownAssistant, ringSeconds: null, busy: !ownAssistant };
  }
}
