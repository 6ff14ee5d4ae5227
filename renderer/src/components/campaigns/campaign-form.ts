import type { Campaign, CampaignFields, CampaignStatus } from "../../api/campaigns";

export interface CampaignModel {
  name: string;
  agent_id: string;
  system_message_template: string;
  /** "HH:MM" as a native time input holds it. */
  start: string;
  end: string;
  timezone: string;
  weekdays: number[];
  max_concurrency: number;
  calls_per_second: number;
  /** "" = the engine's choice (the first active number). */
  number_id: string;
}

/** The engine's defaults (docs/decisions.md, issue #17): 09:00–17:00 Europe/Amsterdam, every day, 2 at once, 1 per second. */
export const emptyCampaign = (agentId = ""): CampaignModel => ({
  name: "",
  agent_id: agentId,
  system_message_template: "",
  start: "09:00",
  end: "17:00",
  timezone: "Europe/Amsterdam",
  weekdays: [1, 2, 3, 4, 5, 6, 7],
  max_concurrency: 2,
  calls_per_second: 1,
  number_id: "",
});

const hhmm = (t: string) => t.slice(0, 5);

export const modelOf = (c: Campaign): CampaignModel => ({
  name: c.name,
  agent_id: c.agent_id,
  system_message_template: c.system_message_template ?? "",
  start: hhmm(c.schedule_start_time),
  end: hhmm(c.schedule_end_time),
  timezone: c.timezone,
  weekdays: [...c.weekdays],
  max_concurrency: c.max_concurrency,
  calls_per_second: c.calls_per_second,
  number_id: c.number_id ?? "",
});

export const fieldsOf = (m: CampaignModel): CampaignFields => ({
  name: m.name.trim(),
  system_message_template: m.system_message_template.trim() ? m.system_message_template : null,
  schedule_start_time: m.start,
  schedule_end_time: m.end,
  timezone: m.timezone,
  weekdays: [...m.weekdays].sort(),
  max_concurrency: m.max_concurrency,
  calls_per_second: m.calls_per_second,
  number_id: m.number_id || null,
});

/** The same placeholder rule as the engine's template renderer (main/engine/campaigns/template.ts). */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
export const templateVariables = (template: string): string[] => [
  ...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!)),
];

/** The console edits a campaign only while nothing dials it (draft, paused); the engine refuses completed/cancelled. */
export const editable = (s: CampaignStatus): boolean => s === "draft" || s === "paused";
export const finished = (s: CampaignStatus): boolean => s === "completed" || s === "cancelled";

/** Status moves the buttons offer, as the API allows them (draft → scheduled, scheduled ⇄ paused, → cancelled). */
export function movesFrom(
  s: CampaignStatus,
): { action: "start" | "pause" | "resume" | "cancel"; to: CampaignStatus }[] {
  if (s === "draft")
    return [
      { action: "start", to: "scheduled" },
      { action: "cancel", to: "cancelled" },
    ];
  if (s === "scheduled")
    return [
      { action: "pause", to: "paused" },
      { action: "cancel", to: "cancelled" },
    ];
  if (s === "paused")
    return [
      { action: "resume", to: "scheduled" },
      { action: "cancel", to: "cancelled" },
    ];
  return [];
}

export const E164 = /^\+[1-9][0-9]{6,14}$/;

/** Seconds as "1 h 05 min" / "4 min 10 s" / "45 s". */
export function formatSeconds(s: number): string {
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}
