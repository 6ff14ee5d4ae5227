import { Type, type Static } from "@sinclair/typebox";
import { createReadStream, existsSync } from "node:fs";

import type { ApiRoutes } from "../context.js";
import { errorResponses, IdParams } from "../schemas/common.js";
import {
  Call,
  CallList,
  CallListQuery,
  ControlBody,
  ControlResponse,
  OutboundBody,
  OutboundResponse,
} from "../schemas/calls.js";
import { badRequest, notFound } from "../errors.js";
import { controlRateLimit } from "../plugins/rate-limit.js";
import type { ControlCommand } from "../../calls/control.js";
import { resolveOutbound } from "../../calls/outbound.js";
import { recordingComplete } from "../../media/worker-api.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Accepts an ISO date or date-time; a bare end date means the end of that day (UTC). */
export function parseDateParam(name: string, value: string | undefined, endOfDay: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (!ISO_DATE.test(value) && !ISO_DATE_TIME.test(value)) {
    throw badRequest(
      `querystring.${name} must be an ISO 8601 date or date-time, e.g. 2026-05-01 or 2026-05-01T09:30:00Z`,
    );
  }
  const date = new Date(ISO_DATE.test(value) ? `${value}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z` : value);
  if (Number.isNaN(date.getTime()) || (ISO_DATE.test(value) && date.toISOString().slice(0, 10) !== value)) {
    throw badRequest(`querystring.${name} is not a real date: '${value}'`);
  }
  return date.toISOString();
}

function toCommand(body: Static<typeof ControlBody>): ControlCommand {
  // The schema has typed each field that is present; which ones a command needs depends on its type.
  const missing = (field: string, kind: "string" | "boolean") =>
    badRequest(`body.${field} is required for type '${body.type}' (${kind})`, "missing_field");
  const message = body.message !== undefined ? { message: body.message } : {};
  switch (body.type) {
    case "inject-context":
      if (body.content === undefined) throw missing("content", "string");
      if (body.trigger_response === undefined) throw missing("trigger_response", "boolean");
      return { type: "inject-context", content: body.content, trigger_response: body.trigger_response };
    case "say":
      if (body.content === undefined) throw missing("content", "string");
      if (body.end_after === undefined) throw missing("end_after", "boolean");
      return { type: "say", content: body.content, end_after: body.end_after };
    case "end-call":
      return { type: "end-call", ...message };
    case "transfer":
      if (body.destination === undefined) throw missing("destination", "string");
      return { type: "transfer", destination: body.destination, ...message };
    default:
      throw badRequest(`body.type must be one of: inject-context, say, end-call, transfer`);
  }
}

export const callRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["calls"];

  app.get(
    "/calls",
    {
      schema: {
        tags,
        summary: "List calls, newest first (transcripts included)",
        querystring: CallListQuery,
        response: { 200: CallList, ...errorResponses },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const start = parseDateParam("start_date", q.start_date, false);
      const end = parseDateParam("end_date", q.end_date, true);
      if (start && end && start > end) throw badRequest("querystring.start_date must not be after end_date");
      const limit = q.limit ?? 100;
      const offset = q.offset ?? 0;
      // Already JSON in the Call schema's shape (built by SQLite): a JSON string is sent as it is, so the
      // reply is the schema's body only as text, which the type provider cannot see.
      const page: string = ctx.store.calls.listJson({
        status: q.status,
        start_date: start,
        end_date: end,
        q: q.q,
        missed: q.missed,
        limit,
        offset,
      });
      return reply.type("application/json; charset=utf-8").send(page as never);
    },
  );

  app.get(
    "/calls/:id",
    {
      schema: {
        tags,
        summary: "Get one call (bare Call object)",
        params: IdParams,
        response: { 200: Call, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const call = ctx.store.calls.get(id);
      if (!call) throw notFound("Call", id);
      return call;
    },
  );

  app.get(
    "/calls/:id/events",
    {
      schema: {
        tags,
        summary: "Local addition: the call's lifecycle log",
        params: IdParams,
        response: {
          200: Type.Object({
            events: Type.Array(
              Type.Object({
                type: Type.String(),
                data: Type.Object({}, { additionalProperties: true }),
                at: Type.String(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.calls.get(id)) throw notFound("Call", id);
      return { events: ctx.store.calls.events(id) };
    },
  );

  app.get(
    "/calls/:id/recording",
    {
      config: {
        signedUrl: (req) => {
          const token = (req.query as { token?: unknown }).token;
          if (typeof token !== "string") return "absent";
          const { id } = req.params as { id: string };
          return ctx.recordingLinks?.verify(id, token) ? "ok" : "invalid";
        },
      },
      schema: {
        tags,
        summary:
          "The call's recording: stereo WAV, caller left, agent right (local addition). With `?token=` from POST /calls/{id}/recording-url it needs no API key",
        params: IdParams,
        querystring: Type.Object({
          token: Type.Optional(Type.String({ maxLength: 100, description: "a signed URL's token" })),
        }),
        response: { 200: Type.Any({ description: "audio/wav" }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const call = ctx.store.calls.get(id);
      if (!call) throw notFound("Call", id);
      const path = ctx.recordingPath?.(id);
      if (!call.recording_url || !path || !existsSync(path)) throw notFound("Recording of call", id);
      // The media worker writes recordings asynchronously: one asked for right after hang-up may be closing.
      await recordingComplete(path);
      return reply
        .type("audio/wav")
        .header("content-disposition", `attachment; filename="${id}.wav"`)
        .send(createReadStream(path));
    },
  );

  app.post(
    "/calls/:id/recording-url",
    {
      schema: {
        tags,
        summary:
          "Local addition: a signed URL of the call's recording that plays for 5 minutes without an API key (for an <audio> element)",
        params: IdParams,
        response: {
          200: Type.Object({ url: Type.String(), expires_at: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const call = ctx.store.calls.get(id);
      if (!call) throw notFound("Call", id);
      const path = ctx.recordingPath?.(id);
      if (!call.recording_url || !path || !existsSync(path) || !ctx.recordingLinks)
        throw notFound("Recording of call", id);
      const { token, expires_at } = ctx.recordingLinks.sign(id);
      const url = `${req.protocol}://${req.host}/api/v1/calls/${encodeURIComponent(id)}/recording?token=${token}`;
      return { url, expires_at };
    },
  );

  app.post(
    "/calls/outbound",
    {
      schema: {
        tags,
        summary:
          "Place an outbound call: reference (assistant_id), transient (assistant) or hybrid (assistant_id + assistant_override) mode",
        body: OutboundBody,
        response: { 200: OutboundResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const plan = resolveOutbound(ctx.store, req.body);
      const call = ctx.calls.create(plan.call);
      ctx.calls.dial(call, plan.assistant);
      return {
        success: true as const,
        call_id: call.id,
        room_name: call.room_name ?? call.id,
        status: "dialing" as const,
      };
    },
  );

  app.post(
    "/calls/:id/control",
    {
      config: controlRateLimit(ctx.rateLimit.controlPerCallPerMinute),
      schema: {
        tags,
        summary: "Control a call that is in-progress (10 commands per minute per call)",
        params: IdParams,
        body: ControlBody,
        response: { 200: ControlResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      const command = toCommand(req.body);
      await ctx.calls.control(id, command);
      return { success: true as const, message: "Command sent successfully" };
    },
  );
};
