import type { CallStatus } from "../store/calls.js";

/**
 * Call lifecycle:
 *
 *   connecting ──► in-progress ──► ended
 *       │               │
 *       └───────────────┴────────► failed
 *   (connecting may also go straight to `ended`: declined or cancelled before answer)
 *
 * Ringing is not a state: the REST enum has no such value. It is a fact beside the state (`ringing_at`).
 *
 * `ended` and `failed` are final.
 */
const ALLOWED: Record<CallStatus, readonly CallStatus[]> = {
  connecting: ["in-progress", "ended", "failed"],
  "in-progress": ["ended", "failed"],
  ended: [],
  failed: [],
};

export const isFinal = (s: CallStatus): boolean => ALLOWED[s].length === 0;
export const canTransition = (from: CallStatus, to: CallStatus): boolean => ALLOWED[from].includes(to);
