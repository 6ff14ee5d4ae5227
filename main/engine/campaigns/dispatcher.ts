import type { Store } from "../store/index.js";
import type { Campaign, Lead } from "../store/campaigns.js";
import type { CallRecord } from "../store/calls.js";
import type { EventBus } from "../events/bus.js";
import type { CallManager } from "../calls/call-manager.js";
import { resolveOutbound } from "../calls/outbound.js";
import { isFinal } from "../calls/call-state.js";
import { DomainError } from "../domain/errors.js";
import { inWindow } from "./schedule.js";
import { renderTemplate } from "./template.js";
import { DEFAULT_RETRY, leavesVoicemail, nextStep, outcomeOf, type RetryPolicy } from "./retry.js";

export interface DispatcherOptions {
  /** Wall clock for windows and retry times (tests inject one); default: the real time. */
  clock?: () => Date;
  /** How often due leads are looked for (default 250 ms). */
  tickMs?: number;
  retry?: Partial<RetryPolicy>;
}

/** The lead's values a template may use: its variables, plus its `name` and `phone_number`. */
export const leadValues = (lead: Pick<Lead, "variables" | "name" | "phone_number">): Record<string, string> => ({
  phone_number: lead.phone_number,
  ...(lead.name ? { name: lead.name } : {}),
  ...lead.variables,
});

/** The lead's window: the campaign's, in the lead's own `timezone` variable when it has a valid one. */
export const leadWindow = (c: Campaign, lead: Lead) => ({
  start: c.schedule_start_time,
  end: c.schedule_end_time,
  timezone: lead.variables.timezone || c.timezone,
  weekdays: c.weekdays,
});

/**
 * Dials the leads of `scheduled` campaigns (docs/decisions.md "Campaign dispatcher"):
 * - a lead is claimed (`calling`, attempts + 1, call_id) in the same fsynced transaction that creates its
 *   call row, and only then is the INVITE sent; the lead is settled from its call row when that call ends;
 * - at start, leads left `calling` are settled from their call rows (the engine's own start has already
 *   closed rows of calls it no longer carries), so no lead is lost and no attempt is dialled twice;
 * - at most `max_concurrency` leads of a campaign are `calling`, at most `calls_per_second` dials start;
 * - a lead's window and the do-not-call list are checked just before its dial.
 */
export class CampaignDispatcher {
  private readonly clock: () => Date;
  private readonly retry: RetryPolicy;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly lastDialMs = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly calls: CallManager,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  start(): void {
    this.reconcile();
    this.unsubscribe = this.bus.subscribe((e) => {
      if (e.type === "call.ended") this.callEnded(e.call);
    });
    const tickMs = this.opts.tickMs ?? 250;
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  /** No new dials from now on; calls already placed still settle their leads until stop(). */
  halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  stop(): void {
    this.halt();
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Leads left `calling` by an engine that stopped: settled from their call rows. */
  reconcile(): void {
    for (const lead of this.store.campaigns.callingLeads()) {
      const call = lead.call_id ? this.store.calls.get(lead.call_id) : undefined;
      if (
        !call ||
        (call.end_reason === "engine_restart" && !this.store.calls.events(call.id).some((e) => e.type === "invite"))
      ) {
        // No call row, or one closed by the restart before its INVITE was written: never dialled. Back to
        // pending, the attempt not counted.
        this.store.db
          .prepare(
            "UPDATE campaign_leads SET status = 'pending', attempts = MAX(0, attempts - 1), call_id = NULL, last_outcome = 'not dialled (engine restart)' WHERE id = ?",
          )
          .run(lead.id);
      } else if (isFinal(call.status)) {
        this.settle(lead, call);
      }
    }
  }

  private callEnded(call: CallRecord): void {
    const lead = this.store.campaigns.leadByCall(call.id);
    if (lead && lead.status === "calling") this.settle(lead, call);
  }

  private settle(lead: Lead, call: CallRecord): void {
    const outcome = outcomeOf(call);
    const step = nextStep(outcome, lead.attempts, this.clock(), this.retry);
    const why = outcome === "failed" && call.error ? `failed: ${call.error}` : outcome;
    this.store.durableTx(() => {
      const now = this.store.campaigns.lead(lead.id);
      if (!now || now.status !== "calling" || now.call_id !== call.id) return; // settled already
      // A cancelled campaign makes no more attempts: what would have been retried is skipped.
      const cancelled = this.store.campaigns.get(now.campaign_id)?.status === "cancelled";
      if (step.status === "pending" && cancelled)
        this.store.campaigns.settle(lead.id, "skipped", `${why}; campaign cancelled`);
      else if (step.status === "pending")
        this.store.campaigns.settle(lead.id, "pending", why, step.retryAt.toISOString());
      else this.store.campaigns.settle(lead.id, step.status, why);
    });
  }

  /** One pass over the scheduled campaigns; public so tests can drive it with their clock. */
  tick(): void {
    for (const c of this.store.campaigns.byStatus("scheduled")) {
      try {
        this.tickCampaign(c);
      } catch (err) {
        this.pause(c, `Campaign stopped: ${(err as Error).message}`);
      }
    }
  }

  private tickCampaign(c: Campaign): void {
    const calling = this.store.campaigns.countByStatus(c.id, "calling");
    const pending = this.store.campaigns.countByStatus(c.id, "pending");
    if (pending === 0 && calling === 0) {
      if (c.total_leads > 0) this.store.campaigns.update(c.id, { status: "completed" });
      return;
    }
    let free = c.max_concurrency - calling;
    if (free <= 0 || pending === 0) return;
    const gapMs = 1000 / c.calls_per_second;
    const now = this.clock();
    const open = this.store.campaigns
      .pendingZones(c.id, c.timezone)
      .filter((tz) =>
        inWindow({ start: c.schedule_start_time, end: c.schedule_end_time, timezone: tz, weekdays: c.weekdays }, now),
      );
    if (open.length === 0) return;
    for (const lead of this.store.campaigns.dueLeads(c.id, now.toISOString(), free * 4, open, c.timezone)) {
      if (free <= 0 || !this.trunkHasRoom(c)) break;
      if (performance.now() - (this.lastDialMs.get(c.id) ?? -Infinity) < gapMs) break;
      // Re-checked just before the dial, in the lead's own time zone, with the clock read now.
      if (!inWindow(leadWindow(c, lead), this.clock())) continue;
      if (this.dialLead(c, lead)) free--;
    }
  }

  /**
   * Inbound calls come first on a shared trunk: no dial while an inbound call is being set up, and, on a
   * trunk with a channel limit, one channel always stays free for the next inbound call (docs/decisions.md
   * "Trunk capacity").
   */
  private trunkHasRoom(c: Campaign): boolean {
    const trunkId = this.store.numbers.forOutbound(c.number_id ?? undefined)?.sip_trunk_id;
    if (!trunkId) return true; // resolveOutbound decides what an unroutable campaign does
    const trunk = this.store.sipTrunks.get(trunkId);
    const load = this.store.sipTrunks.load(trunkId);
    if (load.inboundRinging > 0) return false;
    const max = trunk?.max_channels ?? null;
    if (max === null) return true;
    const reserved = max > 1 ? 1 : 0;
    return load.calls < max - reserved;
  }

  /** Claims and dials one lead; false when it was settled without a call. */
  private dialLead(c: Campaign, lead: Lead): boolean {
    if (this.store.campaigns.dncHas(lead.phone_number)) {
      this.store.campaigns.settle(lead.id, "skipped", "do_not_call");
      return false;
    }
    const rendered = c.system_message_template ? renderTemplate(c.system_message_template, leadValues(lead)) : null;
    if (rendered && rendered.missing.length) {
      this.store.campaigns.settle(lead.id, "skipped", `missing variables: ${rendered.missing.join(", ")}`);
      return false;
    }
    let plan: ReturnType<typeof resolveOutbound>;
    try {
      plan = resolveOutbound(this.store, {
        assistant_id: c.agent_id,
        destination: lead.phone_number,
        ...(c.number_id ? { number_id: c.number_id } : {}),
      });
    } catch (err) {
      // A number the destination policy refuses fails alone; anything else (no trunk, assistant inactive) stops the campaign.
      if (err instanceof DomainError && err.code === "destination_not_allowed") {
        this.store.campaigns.settle(lead.id, "failed", `not allowed: ${err.message}`);
        return false;
      }
      throw err;
    }
    if (rendered) plan.assistant = withSystemMessage(plan.assistant, rendered.text);
    plan.assistant = withDoNotCallTool(plan.assistant);
    // An answering machine before the last attempt is hung up on without a message: the lead is tried again.
    if (plan.assistant.voicemail_detection === true && !leavesVoicemail(lead.attempts + 1, this.retry))
      plan.assistant = { ...plan.assistant, voicemail_message: null };
    plan.call.metadata = { ...(plan.call.metadata ?? {}), campaign_id: c.id, lead_id: lead.id };
    plan.call.assistant_config = plan.assistant;
    const at = this.clock().toISOString();
    const call = this.store.durableTx(() => {
      const created = this.calls.create(plan.call);
      this.store.campaigns.markCalling(lead.id, created.id, at);
      return created;
    });
    this.lastDialMs.set(c.id, performance.now());
    this.calls.dial(call, plan.assistant);
    return true;
  }

  private pause(c: Campaign, why: string): void {
    this.store.campaigns.update(c.id, { status: "paused", last_error: why });
  }
}

/** The campaign's rendered template becomes the assistant's system message for this call (replacing its own). */
export function withSystemMessage(assistant: Record<string, unknown>, text: string): Record<string, unknown> {
  const llm = (assistant.llm_config ?? {}) as Record<string, unknown>;
  const messages = Array.isArray(llm.messages)
    ? (llm.messages as { role?: string }[]).filter((m) => m?.role !== "system")
    : [];
  return { ...assistant, llm_config: { ...llm, messages: [{ role: "system", content: text }, ...messages] } };
}

/**
 * Every campaign call can honour "don't call me again": the `do_not_call` tool is added when the assistant
 * lacks it (docs/decisions.md "Do-not-call during a call").
 */
export function withDoNotCallTool(assistant: Record<string, unknown>): Record<string, unknown> {
  const llm = assistant.llm_config as Record<string, unknown> | null | undefined;
  if (!llm) return assistant; // no model, no tools: a person takes the call
  const tools = Array.isArray(llm.tools) ? (llm.tools as { type?: unknown }[]) : [];
  if (tools.some((t) => t?.type === "do_not_call" || t?.type === "doNotCall")) return assistant;
  return { ...assistant, llm_config: { ...llm, tools: [...tools, { type: "do_not_call" }] } };
}
