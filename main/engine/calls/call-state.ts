import type { CallStatus } from "../store/calls.js";

/**
 * Call lifecycle:
 *
 *   connecting ──► ringing ──► in-progress ──► ended
 *       │             │             │
 *       └─────────────┴─────────────┴────────► failed
 *   (connecting and ringing may also go straight to `ended`: cancelled before answer)
 *
 * `ended` and `failed` are final.
 */
const ALLOWED: Record<CallStatus, readonly CallStatus[]> = {
  connecting: ["ringing", "in-progress", "ended", "failed"],
  ringing: ["in-progress", "ended", "failed"],
  "in-progress": ["ended", "failed"],
  ended: [],
  failed: [],
};

export const isFinal = (s: CallStatus): boolean => ALLOWED[s].length === 0;
export const canTransition = (from: CallStatus, to: CallStatus): boolean => ALLOWED[from].includes(to);

/** The webhook vocabulary for a REST status (gaps.md B4). */
export function webhookStatus(s: CallStatus): "ringing" | "in-progress" | "ended" | "ended-with-error" | "connecting" {
  return s === "failed" ? "ended-with-error" : s;
}
