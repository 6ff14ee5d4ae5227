import type { CallRecord } from "../store/calls.js";

/** How an attempt went, read from its call row. */
export type AttemptOutcome = "answered" | "voicemail" | "no_answer" | "busy" | "interrupted" | "failed";

export interface RetryRule {
  maxAttempts: number;
  delayMs: number;
}
export interface RetryPolicy {
  no_answer: RetryRule;
  busy: RetryRule;
  interrupted: RetryRule;
  /** An answering machine: tried again like no answer; the message is left only on the last attempt. */
  voicemail: RetryRule;
}

/**
 * The default policy (docs/decisions.md "Campaign retries"): no answer 3 attempts 4 h apart (so at different
 * hours of the day), busy 3 attempts 15 min apart; a call cut by an engine restart is tried again at once
 * within the same 3 attempts; an answering machine 3 attempts 4 h apart, the voicemail message left only on
 * the last (the dispatcher clears it before), which completes the lead; failed or unreachable numbers stop.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  no_answer: { maxAttempts: 3, delayMs: 4 * 3600_000 },
  busy: { maxAttempts: 3, delayMs: 15 * 60_000 },
  interrupted: { maxAttempts: 3, delayMs: 0 },
  voicemail: { maxAttempts: 3, delayMs: 4 * 3600_000 },
};

/** Whether this attempt (1-based) is the one that may leave the voicemail message. */
export const leavesVoicemail = (attempt: number, policy: RetryPolicy): boolean =>
  attempt >= policy.voicemail.maxAttempts;

export function outcomeOf(call: CallRecord): AttemptOutcome {
  if (call.status === "ended") return call.end_reason === "voicemail" ? "voicemail" : "answered";
  if (call.end_reason === "no_answer") return "no_answer";
  if (call.end_reason === "engine_restart") return "interrupted";
  if (call.error === "busy") return "busy";
  return "failed";
}

/** What becomes of a lead after an attempt: final (completed/failed), or pending again at `retryAt`. */
export function nextStep(
  outcome: AttemptOutcome,
  attempts: number,
  now: Date,
  policy: RetryPolicy,
): { status: "completed" | "failed" } | { status: "pending"; retryAt: Date } {
  if (outcome === "answered") return { status: "completed" };
  if (outcome === "failed") return { status: "failed" };
  const rule = policy[outcome];
  // The last machine got the message: the lead was reached as far as it can be.
  if (attempts >= rule.maxAttempts) return { status: outcome === "voicemail" ? "completed" : "failed" };
  return { status: "pending", retryAt: new Date(now.getTime() + rule.delayMs) };
}
