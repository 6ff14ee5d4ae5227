import type { Store } from "../store/index.js";
import type { Campaign, Lead } from "../store/campaigns.js";
import { destinationRefusal } from "../calls/destination-policy.js";
import { checkOutboundRoute } from "../calls/outbound-route.js";
import { renderTemplate } from "./template.js";
import { leadValues } from "./dispatcher.js";
import { secondsOf } from "./schedule.js";

export interface PreflightOptions {
  sample: number;
  averageCallSeconds: number;
}

/**
 * What would happen if the campaign ran now, without dialling (issue #17): the prompts a few leads would
 * get, the leads that would be skipped or refused and why, problems that would pause the campaign, and
 * whether the pending leads fit the window at this concurrency.
 */
export function preflight(store: Store, c: Campaign, o: PreflightOptions) {
  const pending: Lead[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = store.campaigns.leads(c.id, 1000, offset).leads;
    pending.push(...page.filter((l) => l.status === "pending"));
    if (page.length < 1000) break;
  }
  const problems: string[] = [];
  const assistant = store.assistants.get(c.agent_id);
  if (!assistant)
    problems.push(
      `The campaign's assistant '${c.agent_id}' no longer exists: create a new campaign with an existing agent_id`,
    );
  else if (!assistant.is_active) problems.push(`Assistant '${assistant.name}' is not active: set is_active to true`);
  type NumberRow = { id: string; phone_number: string; sip_trunk_id: string | null };
  const number = (
    c.number_id
      ? store.db.prepare("SELECT id, phone_number, sip_trunk_id FROM numbers WHERE id = ?").get(c.number_id)
      : store.db
          .prepare("SELECT id, phone_number, sip_trunk_id FROM numbers WHERE is_active = 1 ORDER BY created_at LIMIT 1")
          .get()
  ) as NumberRow | undefined;
  try {
    checkOutboundRoute(store, number ?? null);
  } catch (err) {
    problems.push((err as Error).message);
  }

  const missing: { lead_id: string; phone_number: string; missing: string[] }[] = [];
  const notAllowed: { lead_id: string; phone_number: string; reason: string }[] = [];
  const doNotCall: string[] = [];
  const samples: { lead_id: string; phone_number: string; system_message: string | null }[] = [];
  let dialable = 0;
  for (const l of pending) {
    if (store.campaigns.dncHas(l.phone_number)) {
      doNotCall.push(l.phone_number);
      continue;
    }
    const rendered = c.system_message_template ? renderTemplate(c.system_message_template, leadValues(l)) : null;
    if (rendered?.missing.length) {
      missing.push({ lead_id: l.id, phone_number: l.phone_number, missing: rendered.missing });
      continue;
    }
    const why = destinationRefusal(store, l.phone_number);
    if (why) {
      notAllowed.push({ lead_id: l.id, phone_number: l.phone_number, reason: why });
      continue;
    }
    dialable++;
    if (samples.length < o.sample)
      samples.push({ lead_id: l.id, phone_number: l.phone_number, system_message: rendered?.text ?? null });
  }

  const start = secondsOf(c.schedule_start_time);
  const end = secondsOf(c.schedule_end_time);
  const windowSeconds = start === end ? 86_400 : (end - start + 86_400) % 86_400;
  const callsPerDay = Math.floor(windowSeconds / o.averageCallSeconds) * c.max_concurrency;
  const daysNeeded = callsPerDay > 0 ? Math.ceil(dialable / callsPerDay) : null;
  return {
    ok:
      problems.length === 0 &&
      missing.length === 0 &&
      notAllowed.length === 0 &&
      daysNeeded !== null &&
      daysNeeded <= 1,
    problems,
    samples,
    missing_variables: missing,
    not_allowed: notAllowed,
    do_not_call: doNotCall,
    capacity: {
      pending_leads: pending.length,
      dialable_leads: dialable,
      window_seconds: windowSeconds,
      weekdays: c.weekdays,
      max_concurrency: c.max_concurrency,
      average_call_seconds: o.averageCallSeconds,
      calls_per_window: callsPerDay,
      windows_needed: daysNeeded,
      fits_one_window: daysNeeded !== null && daysNeeded <= 1,
    },
  };
}
