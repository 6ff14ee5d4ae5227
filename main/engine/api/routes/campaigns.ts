// Over 300 lines because the campaign API is one resource with its leads, CSV import, preflight and status moves
// (api-v1 §15 plus the local additions); each handler is short.
import { Type } from "@sinclair/typebox";
import type { ApiContext, ApiRoutes } from "../context.js";
import { errorResponses, Success, UuidParams, Uuid, E164 } from "../schemas/common.js";
import {
  CampaignCreate,
  CampaignSchema,
  CampaignUpdate,
  CsvImportBody,
  CsvImportQuery,
  CsvImportResult,
  DncBody,
  DncEntry,
  LeadBody,
  LeadList,
  LeadSchema,
  ProgressSchema,
} from "../schemas/campaigns.js";
import { ApiError, badRequest, conflict, notFound } from "../errors.js";
import type { Campaign, CampaignFields, CampaignStatus, NewLead } from "../../store/campaigns.js";
import { ALL_WEEKDAYS, DEFAULT_WINDOW, isTimeZone, normaliseTime } from "../../campaigns/schedule.js";
import { leadsFromCsv } from "../../campaigns/csv.js";
import { preflight } from "../../campaigns/preflight.js";
import { campaignProgress } from "../../campaigns/progress.js";
import { previewImport } from "../../campaigns/import-preview.js";

const tags = ["campaigns"];
const one = { 200: Type.Object({ campaign: CampaignSchema }), ...errorResponses, 409: errorResponses[400] };
const LeadParams = Type.Object({ id: Uuid, leadId: Uuid });

/** Status moves a client may ask for; `completed` is the engine's to set (api-v1 §15, SDK-next update rules). */
const MOVES: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ["scheduled", "paused", "cancelled"],
  scheduled: ["paused", "cancelled"],
  paused: ["scheduled", "cancelled"],
  completed: [],
  cancelled: [],
};

function time(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const t = normaliseTime(value);
  if (!t) throw badRequest(`body.${field} must be a time of day "HH:MM:SS" (00:00:00–23:59:59), got '${value}'`);
  return t;
}

function zone(value: string | undefined, field: string): string | undefined {
  if (value !== undefined && !isTimeZone(value))
    throw badRequest(`${field} '${value}' is not an IANA time zone (e.g. Europe/Amsterdam, America/New_York)`);
  return value;
}

function checkLead(l: NewLead, field: string): NewLead {
  if (l.variables?.timezone !== undefined) zone(l.variables.timezone, `${field}.variables.timezone`);
  return l;
}

function existing(ctx: ApiContext, id: string): Campaign {
  const c = ctx.store.campaigns.get(id);
  if (!c) throw notFound("Campaign", id);
  return c;
}

/** Completed and cancelled campaigns are read-only. */
function writable(c: Campaign): Campaign {
  if (c.status === "completed" || c.status === "cancelled") {
    throw new ApiError(
      409,
      "Conflict",
      `Campaign '${c.name}' is ${c.status} and can no longer be modified: create a new campaign`,
      "campaign_read_only",
    );
  }
  return c;
}

function checkAssistant(ctx: ApiContext, id: string, field: string): void {
  const a = ctx.store.assistants.get(id);
  if (!a) throw badRequest(`${field}: assistant '${id}' does not exist`);
}

export const campaignRoutes: ApiRoutes = async (app, { ctx }) => {
  const repo = ctx.store.campaigns;

  app.get(
    "/campaigns",
    {
      schema: {
        tags,
        summary: "List campaigns",
        response: { 200: Type.Object({ campaigns: Type.Array(CampaignSchema) }), ...errorResponses },
      },
    },
    async () => ({ campaigns: repo.list() }),
  );

  app.post(
    "/campaigns",
    {
      schema: {
        tags,
        summary: "Create a campaign (starts as draft unless status says otherwise)",
        body: CampaignCreate,
        response: { 201: Type.Object({ campaign: CampaignSchema }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (b.agent_id && b.assistant_id && b.agent_id !== b.assistant_id)
        throw badRequest("body.agent_id and body.assistant_id name different assistants: send agent_id only");
      const agentId = (b.agent_id ?? b.assistant_id) as string | undefined;
      if (!agentId)
        throw badRequest(
          "body.agent_id is required (the assistant that talks on the campaign's calls)",
          "missing_field",
        );
      checkAssistant(ctx, agentId, "body.agent_id");
      if (b.number_id && !ctx.store.numbers.get(b.number_id))
        throw badRequest(`body.number_id: number '${b.number_id}' does not exist`);
      const fields: CampaignFields = {
        name: b.name,
        agent_id: agentId,
        status: b.status ?? "draft",
        system_message_template: b.system_message_template ?? null,
        schedule_start_time: time(b.schedule_start_time, "schedule_start_time") ?? DEFAULT_WINDOW.start,
        schedule_end_time: time(b.schedule_end_time, "schedule_end_time") ?? DEFAULT_WINDOW.end,
        timezone: zone(b.timezone, "body.timezone") ?? DEFAULT_WINDOW.timezone,
        weekdays: b.weekdays ? [...b.weekdays].sort() : [...ALL_WEEKDAYS],
        max_concurrency: b.max_concurrency ?? 2,
        calls_per_second: b.calls_per_second ?? 1,
        number_id: b.number_id ?? null,
      };
      const leads = ((b.leads ?? []) as NewLead[]).map((l, i) => checkLead(l, `body.leads[${i}]`));
      const campaign = ctx.store.tx(() => {
        const c = repo.create(fields);
        for (const l of leads) repo.addLead(c.id, l);
        return repo.get(c.id)!;
      });
      return reply.status(201).send({ campaign });
    },
  );

  app.get(
    "/campaigns/:id",
    { schema: { tags, summary: "Get a campaign with its counters", params: UuidParams, response: one } },
    async (req) => ({ campaign: existing(ctx, req.params.id) }),
  );

  app.patch(
    "/campaigns/:id",
    {
      schema: {
        tags,
        summary:
          "Update a campaign: status scheduled starts it, paused stops it, cancelled ends it; completed campaigns are read-only",
        params: UuidParams,
        body: CampaignUpdate,
        response: one,
      },
    },
    async (req) => {
      const c = writable(existing(ctx, req.params.id));
      const b = req.body;
      const patch: Partial<CampaignFields> = {
        name: b.name,
        schedule_start_time: time(b.schedule_start_time, "schedule_start_time"),
        schedule_end_time: time(b.schedule_end_time, "schedule_end_time"),
        timezone: zone(b.timezone, "body.timezone"),
        weekdays: b.weekdays ? [...b.weekdays].sort() : undefined,
        max_concurrency: b.max_concurrency,
        calls_per_second: b.calls_per_second,
      };
      if (b.system_message_template !== undefined) patch.system_message_template = b.system_message_template;
      if (b.number_id !== undefined) {
        if (b.number_id !== null && !ctx.store.numbers.get(b.number_id))
          throw badRequest(`body.number_id: number '${b.number_id}' does not exist`);
        patch.number_id = b.number_id;
      }
      const next = b.status as CampaignStatus | undefined;
      if (next !== undefined && next !== c.status) {
        if (next === "completed")
          throw badRequest(
            "status 'completed' is set by VoiceDock when every lead is done: use 'paused' to stop or 'cancelled' to end the campaign",
          );
        if (!MOVES[c.status].includes(next))
          throw new ApiError(
            409,
            "Conflict",
            `Campaign '${c.name}' cannot go from ${c.status} to ${next}`,
            "invalid_status",
          );
        if (next === "scheduled") checkAssistant(ctx, c.agent_id, "agent_id");
        patch.status = next;
        patch.last_error = null;
      }
      const campaign = ctx.store.tx(() => {
        repo.update(c.id, patch);
        // Cancelling ends the campaign: leads not yet called are skipped (calls in progress finish).
        if (next === "cancelled") repo.skipPending(c.id, "campaign cancelled");
        return repo.get(c.id)!;
      });
      return { campaign };
    },
  );

  app.delete(
    "/campaigns/:id",
    {
      schema: {
        tags,
        summary: "Delete a campaign and its leads",
        params: UuidParams,
        response: { 200: Success, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const c = existing(ctx, req.params.id);
      const calling = repo.countByStatus(c.id, "calling");
      if (calling > 0)
        throw conflict(
          `Campaign '${c.name}' has ${calling} call(s) in progress: pause it (PATCH status 'paused'), wait for them to end, then delete it`,
        );
      repo.delete(c.id);
      return { success: true as const };
    },
  );

  app.post(
    "/campaigns/:id/preflight",
    {
      schema: {
        tags,
        summary:
          "Local addition: what running the campaign now would do, without dialling: sample prompts, leads that would be skipped or refused, problems, whether the list fits the window",
        params: UuidParams,
        body: Type.Optional(
          Type.Object(
            {
              sample: Type.Optional(
                Type.Integer({ minimum: 0, maximum: 20, description: "rendered prompts to show (default 3)" }),
              ),
              average_call_seconds: Type.Optional(
                Type.Integer({
                  minimum: 10,
                  maximum: 3600,
                  description: "expected length of a call with its set-up, for the capacity estimate (default 120)",
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: Type.Object({ preflight: Type.Object({}, { additionalProperties: true }) }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const c = existing(ctx, req.params.id);
      const b = (req.body ?? {}) as { sample?: number; average_call_seconds?: number };
      return {
        preflight: preflight(ctx.store, c, {
          sample: b.sample ?? 3,
          averageCallSeconds: b.average_call_seconds ?? 120,
        }),
      };
    },
  );

  app.get(
    "/campaigns/:id/progress",
    {
      schema: {
        tags,
        summary:
          "Local addition: leads by status, calls in flight, leads waiting for a retry, whether the window is open, and an ETA",
        params: UuidParams,
        response: { 200: Type.Object({ progress: ProgressSchema }), ...errorResponses },
      },
    },
    async (req) => ({ progress: campaignProgress(ctx.store, existing(ctx, req.params.id)) }),
  );

  // ── leads ────────────────────────────────────────────────────────────────────────────────────

  app.get(
    "/campaigns/:id/leads",
    {
      schema: {
        tags,
        summary: "List a campaign's leads, oldest first",
        params: UuidParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 10000 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
        response: { 200: LeadList, ...errorResponses },
      },
    },
    async (req) => {
      const c = existing(ctx, req.params.id);
      const { limit, offset } = req.query;
      const page = repo.leads(c.id, limit, offset);
      return { leads: page.leads, pagination: { total: page.total, limit, offset } };
    },
  );

  app.post(
    "/campaigns/:id/leads",
    {
      schema: {
        tags,
        summary: "Add a lead (a number already in the campaign is merged into its lead)",
        params: UuidParams,
        body: LeadBody,
        response: { 200: Type.Object({ lead: LeadSchema }), ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const c = writable(existing(ctx, req.params.id));
      return { lead: repo.addLead(c.id, checkLead(req.body, "body")).lead };
    },
  );

  app.post(
    "/campaigns/:id/leads/import",
    {
      schema: {
        tags,
        summary:
          "Local addition: import leads from CSV (header mapping, E.164 check, per-row errors, duplicates merged)",
        params: UuidParams,
        querystring: CsvImportQuery,
        body: CsvImportBody,
        response: { 200: CsvImportResult, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const c = writable(existing(ctx, req.params.id));
      const { csv, mapping } = req.body;
      const parsed = leadsFromCsv(csv, mapping);
      const errors = [...parsed.errors];
      const valid = parsed.leads.filter((l) => {
        const tz = l.variables.timezone;
        if (tz === undefined || isTimeZone(tz)) return true;
        errors.push({ row: l.row, message: `timezone '${tz}' is not an IANA time zone` });
        return false;
      });
      errors.sort((a, b) => a.row - b.row);
      if (req.query.dry_run) {
        const p = previewImport(ctx.store, c, valid, Object.values(parsed.columns));
        return {
          imported: p.imported,
          merged: p.merged,
          columns: parsed.columns,
          errors,
          dry_run: true,
          preview: p.rows,
          template_variables_without_column: p.template_variables_without_column,
        };
      }
      let imported = 0;
      let merged = 0;
      ctx.store.tx(() => {
        for (const l of valid) {
          const r = repo.addLead(c.id, { phone_number: l.phone_number, name: l.name, variables: l.variables });
          if (r.merged) merged++;
          else imported++;
        }
      });
      return { imported, merged, columns: parsed.columns, errors };
    },
  );

  app.delete(
    "/campaigns/:id/leads/:leadId",
    {
      schema: {
        tags,
        summary: "Remove a lead (not while it is being called)",
        params: LeadParams,
        response: { 200: Success, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id, leadId } = req.params;
      const c = writable(existing(ctx, id));
      const lead = repo.lead(leadId);
      if (!lead || lead.campaign_id !== c.id) throw notFound("Lead", leadId);
      if (lead.status === "calling")
        throw conflict(`Lead ${lead.phone_number} is being called: remove it after the call ends`);
      repo.deleteLead(c.id, leadId);
      return { success: true as const };
    },
  );

  // ── do-not-call list (local addition) ────────────────────────────────────────────────────────

  const dncTags = ["do-not-call"];
  app.get(
    "/do-not-call",
    {
      schema: {
        tags: dncTags,
        summary: "Local addition: numbers no campaign may call",
        response: { 200: Type.Object({ numbers: Type.Array(DncEntry) }), ...errorResponses },
      },
    },
    async () => ({ numbers: repo.dncList() }),
  );
  app.post(
    "/do-not-call",
    {
      schema: {
        tags: dncTags,
        summary: "Local addition: add a number to the do-not-call list (checked before every campaign dial)",
        body: DncBody,
        response: { 201: Type.Object({ number: DncEntry }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      return reply.status(201).send({ number: repo.dncAdd(b.phone_number, b.reason ?? null) });
    },
  );
  app.delete(
    "/do-not-call/:phone",
    {
      schema: {
        tags: dncTags,
        summary: "Local addition: remove a number from the do-not-call list",
        params: Type.Object({ phone: E164 }),
        response: { 200: Success, ...errorResponses },
      },
    },
    async (req) => {
      const { phone } = req.params;
      if (!repo.dncRemove(phone)) throw notFound("Do-not-call number", phone);
      return { success: true as const };
    },
  );
};
