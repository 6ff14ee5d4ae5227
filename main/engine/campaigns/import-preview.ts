import type { Store } from "../store/index.js";
import type { Campaign } from "../store/campaigns.js";
import type { CsvLead } from "./csv.js";
import { renderTemplate, templateVariables } from "./template.js";
import { leadValues } from "./dispatcher.js";

/** Rows of a dry run shown back in full; the counts cover the whole file. */
export const PREVIEW_ROWS = 200;

export interface PreviewRow {
  row: number;
  phone_number: string;
  name: string | null;
  variables: Record<string, string>;
  /** new lead, merged into an earlier row of this file, or merged into a lead the campaign already has. */
  merge: "new" | "file" | "existing";
  merged_with_row: number | null;
  /** Template variables this lead would still lack after the import (the dispatcher would skip it). */
  missing_variables: string[];
}

/**
 * What importing `leads` would do, without writing (the import's `dry_run`): the same merge rule as
 * CampaignRepo.addLead (one lead per number, variables combined, later values winning), run over a copy of
 * the campaign's leads.
 */
export function previewImport(store: Store, c: Campaign, leads: CsvLead[], columnTargets: (string | null)[]) {
  type Acc = { name: string | null; variables: Record<string, string>; row: number | null };
  const known = new Map<string, Acc>();
  const existing = store.db
    .prepare("SELECT phone_number, name, variables FROM campaign_leads WHERE campaign_id = ?")
    .all(c.id) as { phone_number: string; name: string | null; variables: string }[];
  for (const l of existing)
    known.set(l.phone_number, {
      name: l.name,
      variables: JSON.parse(l.variables) as Record<string, string>,
      row: null,
    });
  const template = c.system_message_template;
  let imported = 0;
  let merged = 0;
  const rows: PreviewRow[] = [];
  for (const l of leads) {
    const before = known.get(l.phone_number);
    const acc: Acc = {
      name: l.name ?? before?.name ?? null,
      variables: { ...(before?.variables ?? {}), ...l.variables },
      row: before ? before.row : l.row,
    };
    known.set(l.phone_number, acc);
    if (before) merged++;
    else imported++;
    if (rows.length >= PREVIEW_ROWS) continue;
    const values = leadValues({ phone_number: l.phone_number, name: acc.name, variables: acc.variables });
    rows.push({
      row: l.row,
      phone_number: l.phone_number,
      name: l.name ?? null,
      variables: l.variables,
      merge: !before ? "new" : before.row === null ? "existing" : "file",
      merged_with_row: before?.row ?? null,
      missing_variables: template ? renderTemplate(template, values).missing : [],
    });
  }
  // A template variable no column feeds is almost always a misspelt header: named once, not once per row.
  const fed = new Set(["name", "phone_number", ...columnTargets.filter((t): t is string => !!t)]);
  const unfed = template ? templateVariables(template).filter((v) => !fed.has(v)) : [];
  return { imported, merged, rows, template_variables_without_column: unfed };
}
