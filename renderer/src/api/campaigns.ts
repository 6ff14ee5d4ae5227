// Typed calls to the campaign endpoints (api-v1 §15 and the local additions the console uses).
import { api } from "./client";

export type CampaignStatus = "draft" | "scheduled" | "paused" | "completed" | "cancelled";
export type LeadStatus = "pending" | "calling" | "completed" | "failed" | "skipped";
export const LEAD_STATUSES: LeadStatus[] = ["pending", "calling", "completed", "failed", "skipped"];

export interface Campaign {
  id: string;
  name: string;
  agent_id: string;
  status: CampaignStatus;
  system_message_template: string | null;
  schedule_start_time: string;
  schedule_end_time: string;
  timezone: string;
  total_leads: number;
  completed_leads: number;
  failed_leads: number;
  weekdays: number[];
  max_concurrency: number;
  calls_per_second: number;
  number_id: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** The fields the editor sends (create and update take the same ones, minus agent_id on update). */
export interface CampaignFields {
  name: string;
  agent_id?: string;
  system_message_template: string | null;
  schedule_start_time: string;
  schedule_end_time: string;
  timezone: string;
  weekdays: number[];
  max_concurrency: number;
  calls_per_second: number;
  number_id: string | null;
}

export interface Lead {
  id: string;
  phone_number: string;
  name: string | null;
  variables: Record<string, string>;
  status: LeadStatus;
  call_id: string | null;
  attempts: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  last_outcome: string | null;
}

export interface Progress {
  leads_by_status: Record<LeadStatus, number>;
  calls_in_flight: number;
  retry_waiting: number;
  window_open_now: boolean;
  attempts_ended: number;
  average_attempt_seconds: number;
  eta_basis: "observed" | "assumed";
  eta_seconds: number | null;
}

export interface ImportPreviewRow {
  row: number;
  phone_number: string;
  name: string | null;
  variables: Record<string, string>;
  merge: "new" | "file" | "existing";
  merged_with_row: number | null;
  missing_variables: string[];
}

export interface ImportResult {
  imported: number;
  merged: number;
  columns: Record<string, string | null>;
  errors: { row: number; message: string }[];
  dry_run?: boolean;
  preview?: ImportPreviewRow[];
  template_variables_without_column?: string[];
}

export interface Preflight {
  ok: boolean;
  problems: string[];
  samples: { lead_id: string; phone_number: string; system_message: string | null }[];
  missing_variables: { lead_id: string; phone_number: string; missing: string[] }[];
  not_allowed: { lead_id: string; phone_number: string; reason: string }[];
  do_not_call: string[];
  capacity: {
    pending_leads: number;
    dialable_leads: number;
    window_seconds: number;
    max_concurrency: number;
    average_call_seconds: number;
    calls_per_window: number;
    windows_needed: number | null;
    fits_one_window: boolean;
  };
}

export interface DncEntry {
  phone_number: string;
  reason: string | null;
  created_at: string;
}

const send = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const at = (id: string) => `/campaigns/${encodeURIComponent(id)}`;

export const campaignsApi = {
  list: () => api<{ campaigns: Campaign[] }>("/campaigns").then((r) => r.campaigns),
  get: (id: string) => api<{ campaign: Campaign }>(at(id)).then((r) => r.campaign),
  create: (f: CampaignFields) => api<{ campaign: Campaign }>("/campaigns", send("POST", f)).then((r) => r.campaign),
  update: (id: string, patch: Partial<CampaignFields> & { status?: CampaignStatus }) =>
    api<{ campaign: Campaign }>(at(id), send("PATCH", patch)).then((r) => r.campaign),
  remove: (id: string) => api<{ success: true }>(at(id), send("DELETE")),
  progress: (id: string) => api<{ progress: Progress }>(`${at(id)}/progress`).then((r) => r.progress),
  leads: (id: string, limit: number, offset: number) =>
    api<{ leads: Lead[]; pagination: { total: number } }>(`${at(id)}/leads?limit=${limit}&offset=${offset}`),
  importCsv: (id: string, csv: string, mapping: Record<string, string | null>, dryRun: boolean) =>
    api<ImportResult>(`${at(id)}/leads/import?dry_run=${dryRun}`, send("POST", { csv, mapping })),
  preflight: (id: string) =>
    api<{ preflight: Preflight }>(`${at(id)}/preflight`, send("POST", {})).then((r) => r.preflight),
};

export const dncApi = {
  list: () => api<{ numbers: DncEntry[] }>("/do-not-call").then((r) => r.numbers),
  add: (phone_number: string, reason: string | null) =>
    api<{ number: DncEntry }>("/do-not-call", send("POST", { phone_number, reason })).then((r) => r.number),
  remove: (phone: string) => api<{ success: true }>(`/do-not-call/${encodeURIComponent(phone)}`, send("DELETE")),
};
