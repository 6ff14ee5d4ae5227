// Over 300 lines because it is the one repository of the campaign tables (campaigns, leads and their counters): the lead
// state changes and the counters they move must stay in the same statements.
import type { Db } from "./db.js";
import { nowIso, uuid } from "../util/ids.js";

export const CAMPAIGN_STATUSES = ["draft", "scheduled", "paused", "completed", "cancelled"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const LEAD_STATUSES = ["pending", "calling", "completed", "failed", "skipped"] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export interface CampaignFields {
  name: string;
  agent_id: string;
  status: CampaignStatus;
  system_message_template: string | null;
  schedule_start_time: string;
  schedule_end_time: string;
  timezone: string;
  weekdays: number[];
  max_concurrency: number;
  calls_per_second: number;
  number_id: string | null;
  last_error?: string | null;
}

export interface Campaign extends Omit<CampaignFields, "last_error"> {
  /** Always a column of the row (null until the engine pauses the campaign). */
  last_error: string | null;
  id: string;
  total_leads: number;
  completed_leads: number;
  failed_leads: number;
  created_at: string;
  updated_at: string;
}

export interface Lead {
  id: string;
  campaign_id: string;
  phone_number: string;
  name: string | null;
  variables: Record<string, string>;
  status: LeadStatus;
  attempts: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  call_id: string | null;
  last_outcome: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewLead {
  phone_number: string;
  name?: string | null;
  variables?: Record<string, string>;
}

type CampaignRow = Omit<CampaignFields, "weekdays" | "last_error"> & {
  id: string;
  weekdays: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
};
type LeadRow = Omit<Lead, "variables"> & { variables: string };

const COUNTS = `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'completed'), 0) AS completed, COALESCE(SUM(status = 'failed'), 0) AS failed
  FROM campaign_leads WHERE campaign_id = ?`;

/** Campaigns, their leads and the do-not-call list (migration 005). Counters are counted, never stored. */
export class CampaignRepo {
  constructor(private readonly db: Db) {}

  private view(r: CampaignRow): Campaign {
    const c = this.db.prepare(COUNTS).get(r.id) as { total: number; completed: number; failed: number };
    return {
      ...r,
      weekdays: JSON.parse(r.weekdays) as number[],
      total_leads: c.total,
      completed_leads: c.completed,
      failed_leads: c.failed,
    };
  }

  private leadView(r: LeadRow): Lead {
    return { ...r, variables: JSON.parse(r.variables) as Record<string, string> };
  }

  list(): Campaign[] {
    return (this.db.prepare("SELECT * FROM campaigns ORDER BY created_at, id").all() as CampaignRow[]).map((r) =>
      this.view(r),
    );
  }

  get(id: string): Campaign | undefined {
    const r = this.db.prepare("SELECT * FROM campaigns WHERE id = ?").get(id) as CampaignRow | undefined;
    return r ? this.view(r) : undefined;
  }

  byStatus(status: CampaignStatus): Campaign[] {
    return (
      this.db.prepare("SELECT * FROM campaigns WHERE status = ? ORDER BY created_at, id").all(status) as CampaignRow[]
    ).map((r) => this.view(r));
  }

  create(f: CampaignFields): Campaign {
    const id = uuid();
    const now = nowIso();
    this.db
      .prepare(
        `INSERT INTO campaigns (id, name, agent_id, status, system_message_template, schedule_start_time, schedule_end_time, timezone,
      weekdays, max_concurrency, calls_per_second, number_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        f.name,
        f.agent_id,
        f.status,
        f.system_message_template,
        f.schedule_start_time,
        f.schedule_end_time,
        f.timezone,
        JSON.stringify(f.weekdays),
        f.max_concurrency,
        f.calls_per_second,
        f.number_id,
        now,
        now,
      );
    return this.get(id)!;
  }

  update(id: string, patch: Partial<CampaignFields>): Campaign | undefined {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      sets.push(`${k} = ?`);
      values.push(k === "weekdays" ? JSON.stringify(v) : v);
    }
    if (sets.length)
      this.db
        .prepare(`UPDATE campaigns SET ${sets.join(", ")}, updated_at = ? WHERE id = ?`)
        .run(...values, nowIso(), id);
    return this.get(id);
  }

  delete(id: string): boolean {
    return this.db.prepare("DELETE FROM campaigns WHERE id = ?").run(id).changes > 0;
  }

  // ── leads ──────────────────────────────────────────────────────────────────────────────────

  leads(campaignId: string, limit: number, offset: number): { leads: Lead[]; total: number } {
    const rows = this.db
      .prepare("SELECT * FROM campaign_leads WHERE campaign_id = ? ORDER BY created_at, rowid LIMIT ? OFFSET ?")
      .all(campaignId, limit, offset) as LeadRow[];
    const total = this.db
      .prepare("SELECT COUNT(*) FROM campaign_leads WHERE campaign_id = ?")
      .pluck()
      .get(campaignId) as number;
    return { leads: rows.map((r) => this.leadView(r)), total };
  }

  lead(id: string): Lead | undefined {
    const r = this.db.prepare("SELECT * FROM campaign_leads WHERE id = ?").get(id) as LeadRow | undefined;
    return r ? this.leadView(r) : undefined;
  }

  leadByCall(callId: string): Lead | undefined {
    const r = this.db.prepare("SELECT * FROM campaign_leads WHERE call_id = ?").get(callId) as LeadRow | undefined;
    return r ? this.leadView(r) : undefined;
  }

  /**
   * Adds a lead; a number already in the campaign is merged (variables combined, the new ones winning; a
   * name sent replaces the old), never a second lead for one number. Returns the lead and whether it merged.
   */
  addLead(campaignId: string, l: NewLead): { lead: Lead; merged: boolean } {
    const existing = this.db
      .prepare("SELECT * FROM campaign_leads WHERE campaign_id = ? AND phone_number = ?")
      .get(campaignId, l.phone_number) as LeadRow | undefined;
    const now = nowIso();
    if (existing) {
      const variables = { ...(JSON.parse(existing.variables) as Record<string, string>), ...(l.variables ?? {}) };
      this.db
        .prepare("UPDATE campaign_leads SET variables = ?, name = ?, updated_at = ? WHERE id = ?")
        .run(JSON.stringify(variables), l.name ?? existing.name, now, existing.id);
      return { lead: this.lead(existing.id)!, merged: true };
    }
    const id = uuid();
    this.db
      .prepare(
        `INSERT INTO campaign_leads (id, campaign_id, phone_number, name, variables, status, attempts, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
      )
      .run(id, campaignId, l.phone_number, l.name ?? null, JSON.stringify(l.variables ?? {}), now, now);
    return { lead: this.lead(id)!, merged: false };
  }

  deleteLead(campaignId: string, leadId: string): boolean {
    return (
      this.db.prepare("DELETE FROM campaign_leads WHERE id = ? AND campaign_id = ?").run(leadId, campaignId).changes > 0
    );
  }

  /** The time zones of a campaign's pending leads (`variables.timezone`, else the campaign's). */
  pendingZones(campaignId: string, campaignZone: string): string[] {
    return this.db
      .prepare(
        `SELECT DISTINCT COALESCE(NULLIF(json_extract(variables, '$.timezone'), ''), ?) FROM campaign_leads
      WHERE campaign_id = ? AND status = 'pending'`,
      )
      .pluck()
      .all(campaignZone, campaignId) as string[];
  }

  /**
   * Leads whose next attempt is due (pending, next_attempt_at passed) in one of `zones` (the zones whose
   * window is open, so leads waiting for another zone's morning never hide them), oldest first.
   */
  dueLeads(campaignId: string, nowIsoTime: string, limit: number, zones: string[], campaignZone: string): Lead[] {
    return (
      this.db
        .prepare(
          `SELECT * FROM campaign_leads WHERE campaign_id = ? AND status = 'pending'
      AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
      AND COALESCE(NULLIF(json_extract(variables, '$.timezone'), ''), ?) IN (SELECT value FROM json_each(?))
      ORDER BY COALESCE(next_attempt_at, ''), created_at, rowid LIMIT ?`,
        )
        .all(campaignId, nowIsoTime, campaignZone, JSON.stringify(zones), limit) as LeadRow[]
    ).map((r) => this.leadView(r));
  }

  countByStatus(campaignId: string, status: LeadStatus): number {
    return this.db
      .prepare("SELECT COUNT(*) FROM campaign_leads WHERE campaign_id = ? AND status = ?")
      .pluck()
      .get(campaignId, status) as number;
  }

  callingLeads(): Lead[] {
    return (this.db.prepare("SELECT * FROM campaign_leads WHERE status = 'calling'").all() as LeadRow[]).map((r) =>
      this.leadView(r),
    );
  }

  /** The claim: `calling`, one more attempt, and the call row's id (run inside the transaction that creates the row). */
  markCalling(leadId: string, callId: string, at: string): void {
    this.db
      .prepare(
        `UPDATE campaign_leads SET status = 'calling', attempts = attempts + 1, last_attempt_at = ?, call_id = ?, next_attempt_at = NULL,
      updated_at = ? WHERE id = ? AND status = 'pending'`,
      )
      .run(at, callId, at, leadId);
  }

  /** Settles a lead: final, or back to pending with the time of its next attempt. */
  /** Marks the leads not yet called as skipped, with why. */
  skipPending(campaignId: string, outcome: string): void {
    this.db
      .prepare(
        "UPDATE campaign_leads SET status = 'skipped', last_outcome = ? WHERE campaign_id = ? AND status = 'pending'",
      )
      .run(outcome, campaignId);
  }

  settle(leadId: string, status: LeadStatus, outcome: string, nextAttemptAt: string | null = null): void {
    this.db
      .prepare(
        "UPDATE campaign_leads SET status = ?, last_outcome = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
      )
      .run(status, outcome, nextAttemptAt, nowIso(), leadId);
  }

  // ── do-not-call list ───────────────────────────────────────────────────────────────────────

  dncList(): { phone_number: string; reason: string | null; created_at: string }[] {
    return this.db
      .prepare("SELECT phone_number, reason, created_at FROM do_not_call ORDER BY created_at, phone_number")
      .all() as never[];
  }

  dncAdd(
    phoneNumber: string,
    reason: string | null,
  ): { phone_number: string; reason: string | null; created_at: string } {
    this.db
      .prepare(
        "INSERT INTO do_not_call (phone_number, reason, created_at) VALUES (?, ?, ?) ON CONFLICT(phone_number) DO UPDATE SET reason = COALESCE(excluded.reason, reason)",
      )
      .run(phoneNumber, reason, nowIso());
    return this.db
      .prepare("SELECT phone_number, reason, created_at FROM do_not_call WHERE phone_number = ?")
      .get(phoneNumber) as never;
  }

  dncRemove(phoneNumber: string): boolean {
    return this.db.prepare("DELETE FROM do_not_call WHERE phone_number = ?").run(phoneNumber).changes > 0;
  }

  dncHas(phoneNumber: string): boolean {
    return this.db.prepare("SELECT 1 FROM do_not_call WHERE phone_number = ?").get(phoneNumber) !== undefined;
  }
}
