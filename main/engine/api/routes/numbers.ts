import { Type } from "@sinclair/typebox";
import type { ApiContext, ApiRoutes } from "../context.js";
import { errorResponses, Success, UuidParams } from "../schemas/common.js";
import { badRequest, conflict, notFound } from "../errors.js";
import {
  NumberCreate as CreateBody,
  NumberUpdate as UpdateBody,
  PhoneNumber,
  type NumberCreateBody,
  type NumberInput,
  type NumberUpdateBody,
} from "../../domain/number.js";

/** Folds the aliases (`number`, `agent_id`) and checks that referenced rows exist. */
function normalise(ctx: ApiContext, body: NumberCreateBody | NumberUpdateBody): NumberInput {
  if (body.number !== undefined && body.phone_number !== undefined && body.number !== body.phone_number)
    throw badRequest("body.number and body.phone_number differ: send only phone_number");
  if (body.agent_id !== undefined && body.assistant_id !== undefined && body.agent_id !== body.assistant_id)
    throw badRequest("body.agent_id and body.assistant_id differ: send only assistant_id");
  const input: NumberInput = {
    phone_number: body.phone_number ?? body.number,
    name: body.name,
    assistant_id: body.assistant_id !== undefined ? body.assistant_id : body.agent_id,
    transfer_trunk_id: body.transfer_trunk_id,
    sip_trunk_id: body.sip_trunk_id,
    workflow_id: body.workflow_id,
    is_active: body.is_active,
  };
  if (input.assistant_id && !ctx.store.assistants.get(input.assistant_id))
    throw notFound("Assistant", input.assistant_id);
  for (const key of ["transfer_trunk_id", "sip_trunk_id"] as const) {
    const id = input[key];
    if (id && !ctx.store.sipTrunks.get(id)) throw notFound("SIP trunk", id);
  }
  return input;
}

function ensureUnique(ctx: ApiContext, phone: string | undefined, selfId?: string): void {
  if (!phone) return;
  const existing = ctx.store.numbers.byPhoneNumber(phone);
  if (existing && existing.id !== selfId) throw conflict(`Number ${phone} is already registered (id ${existing.id})`);
}

export const numberRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["numbers"];
  const one = { 200: Type.Object({ number: PhoneNumber }), ...errorResponses, 409: errorResponses[400] };

  app.get(
    "/numbers",
    {
      schema: {
        tags,
        summary: "List phone numbers",
        response: { 200: Type.Object({ numbers: Type.Array(PhoneNumber) }), ...errorResponses },
      },
    },
    async () => ({ numbers: ctx.store.numbers.list() }),
  );

  app.post(
    "/numbers",
    {
      schema: {
        tags,
        summary: "Register a number (maps it to an assistant; the SIP provider must route it here)",
        body: CreateBody,
        response: { 201: Type.Object({ number: PhoneNumber }), ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req, reply) => {
      const input = normalise(ctx, req.body);
      const phone = input.phone_number;
      if (!phone) throw badRequest("body.phone_number is required (E.164, e.g. +31850835037)", "missing_field");
      ensureUnique(ctx, phone);
      return reply.status(201).send({ number: ctx.store.numbers.create({ ...input, phone_number: phone }) });
    },
  );

  app.get(
    "/numbers/:id",
    { schema: { tags, summary: "Get a number", params: UuidParams, response: one } },
    async (req) => {
      const { id } = req.params;
      const number = ctx.store.numbers.get(id);
      if (!number) throw notFound("Number", id);
      return { number };
    },
  );

  app.patch(
    "/numbers/:id",
    {
      schema: {
        tags,
        summary: "Update a number; null unassigns the assistant or detaches a trunk",
        params: UuidParams,
        body: UpdateBody,
        response: one,
      },
    },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.numbers.get(id)) throw notFound("Number", id);
      const input = normalise(ctx, req.body);
      ensureUnique(ctx, input.phone_number, id);
      return { number: ctx.store.numbers.update(id, input)! };
    },
  );

  app.delete(
    "/numbers/:id",
    { schema: { tags, summary: "Delete a number", params: UuidParams, response: { 200: Success, ...errorResponses } } },
    async (req) => {
      const { id } = req.params;
      if (!ctx.store.numbers.delete(id)) throw notFound("Number", id);
      return { success: true as const };
    },
  );
};
