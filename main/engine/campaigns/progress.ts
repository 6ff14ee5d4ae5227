import type { Store } from "../store/index.js";
import type { Campaign, LeadStatus } from "../store/campaigns.js";
import { LEAD_STATUSES } from "../store/campaigns.js";
import { inWindow } from "./schedule.js";

/** The attempt length the ETA assumes before any call of the campaign has ended (preflight's default). */
export const ASSUMED_ATTEMPT_SECONDS = 120;

/**
 * A running campaign at a glance, for the console (issue #17 point 4): leads by status, calls in flight, leads
 * waiting for a retry, whether the window is open now, and an ETA. Read-only: counted from the lead and call
 * rows on each request, like the counters.
 */
export function campaignProgress(store: Store, c: Campaign, now: Date = new Date()) {
  const byStatus = Object.fromEntries(LEAD_STATUSES.map((s) => [s, 0])) as Record<LeadStatus, number>;
  const rows = store.db
    .prepare("SELECT status, COUNT(*) AS n FROM campaign_leads WHERE campaign_id = ? GROUP BY status")
    .all(c.id) as { status: LeadStatus; n: number }[];
  for (const r of rows) byStatus[r.status] = r.n;
  const retryWaiting = store.db
    .prepare(
      "SELECT COUNT(*) FROM campaign_leads WHERE campaign_id = ? AND status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at > ?",
    )
    .pluck()
    .get(c.id, now.toISOString()) as number;
  // Attempts are the campaign's call rows (the dispatcher tags each with campaign_id); a retried lead has several.
  const attempts = store.db
    .prepare(
      `SELECT COUNT(*) AS n, AVG((julianday(ended_at) - julianday(created_at)) * 86400.0) AS seconds FROM calls
      WHERE json_extract(metadata, '$.campaign_id') = ? AND ended_at IS NOT NULL`,
    )
    .get(c.id) as { n: number; seconds: number | null };
  // Rounded before use, so the ETA is the one a reader gets from the figures shown.
  const attemptSeconds =
    attempts.n > 0 && attempts.seconds !== null ? Math.round(attempts.seconds * 10) / 10 : ASSUMED_ATTEMPT_SECONDS;
  const remaining = byStatus.pending + byStatus.calling;
  const running = c.status === "scheduled" || c.status === "paused" || c.status === "draft";
  // Dialling time only: the remaining leads in waves of max_concurrency, no faster than calls_per_second.
  // Closed windows and retry delays come on top; the console says so next to the figure.
  const eta =
    !running || remaining === 0
      ? null
      : Math.ceil(
          Math.max(Math.ceil(remaining / c.max_concurrency) * attemptSeconds, byStatus.pending / c.calls_per_second),
        );
  return {
    leads_by_status: byStatus,
    calls_in_flight: byStatus.calling,
    retry_waiting: retryWaiting,
    window_open_now: inWindow(
      { start: c.schedule_start_time, end: c.schedule_end_time, timezone: c.timezone, weekdays: c.weekdays },
      now,
    ),
    attempts_ended: attempts.n,
    average_attempt_seconds: attemptSeconds,
    eta_basis: attempts.n > 0 ? ("observed" as const) : ("assumed" as const),
    eta_seconds: eta,
  };
}
