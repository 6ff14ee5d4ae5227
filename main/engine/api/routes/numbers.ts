import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { ApiContext } from "../context.js";
import { errorResponses, Nullable, Success, Uuid, UuidParams } from "../schemas/common.js";
import { badRequest, conflict, notFound } from "../errors.js";
import type { NumberInput } from "../../store/numbers.js";

const E164_RULE = { pattern: "^\\+[1-9][0-9]{6,14}$", description: "E.164, e.g. +31850835037" };

const PhoneNumber = Type.Object({
  id: Type.String(), phone_number: Type.String(), name: Nullable(Type.String()),
  assistant_id: Nullable(Type.String()), agent_id: Nullable(Type.String()), agent_name: Nullable(Type.String()), business_name: Nullable(Type.String()),
  transfer_trunk_id: Nullable(Type.String()), transfer_trunk_name: Nullable(Type.String()),
  sip_trunk_id: Nullable(Type.String({ description: "Local addition: the SIP trunk that carries this number" })), sip_trunk_name: Nullable(Type.String()),
  workflow_id: Nullable(Type.String()), workflow_name: Nullable(Type.String()),
  source: Type.String(), is_active: Type.Boolean(), created_at: Type.String(), updated_at: Type.String(),
}, { additionalProperties: true });

const fields = {
  phone_number: Type.Optional(Type.String(E164_RULE)),
  number: Type.Optional(Type.String({ ...E164_RULE, description: "alias of phone_number (Introduction quick-start)" })),
  name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  assistant_id: Type.Optional(Nullable(Uuid)),
  agent_id: Type.Optional(Nullable(Uuid)),
  transfer_trunk_id: Type.Optional(Nullable(Uuid)),
  sip_trunk_id: Type.Optional(Nullable(Uuid)),
  workflow_id: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  is_active: Type.Optional(Type.Boolean()),
};
const CreateBody = Type.Object(fields, { additionalProperties: true });
const UpdateBody = Type.Object(fields, { additionalProperties: true, minProperties: 1 });

/** Folds the aliases (`number`, `agent_id`) and checks that referenced rows exist. */
function normalise(ctx: ApiContext, body: Record<string, unknown>): NumberInput {
  if (body.number !== undefined && body.phone_number !== undefined && body.number !== body.phone_number) throw badRequest("body.number and body.phone_number differ: send only phone_number");
  if (body.agent_id !== undefined && body.assistant_id !== undefined && body.agent_id !== body.assistant_id) throw badRequest("body.agent_id and body.assistant_id differ: send only assistant_id");
  const input: NumberInput = {
    phone_number: (body.phone_number ?? body.number) as string | undefined,
    name: body.name as string | null | undefined,
    assistant_id: (body.assistant_id !== undefined ? body.assistant_id : body.agent_id) as string | null | undefined,
    transfer_trunk_id: body.transfer_trunk_id as string | null | undefined,
    sip_trunk_id: body.sip_trunk_id as string | null | undefined,
    workflow_id: body.workflow_id as string | null | undefined,
    is_active: body.is_active as boolean | undefined,
  };
  if (input.assistant_id && !ctx.store.assistants.get(input.assistant_id)) throw notFound("Assistant", input.assistant_id);
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

export function numberRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ["numbers"];
  const one = { 200: Type.Object({ number: PhoneNumber }), ...errorResponses, 409: errorResponses[400] };

  app.get("/numbers", { schema: { tags, summary: "List phone numbers", response: { 200: Type.Object({ numbers: Type.Array(PhoneNumber) }), ...errorResponses } } },
    async () => ({ numbers: ctx.store.numbers.list() }));

  app.post("/numbers", { schema: { tags, summary: "Register a number (maps it to an assistant; the SIP provider must route it here)", body: CreateBody,
    response: { 201: Type.Object({ number: PhoneNumber }), ...errorResponses, 409: errorResponses[400] } } },
  async (req, reply) => {
    const input = normalise(ctx, req.body as Record<string, unknown>);
    if (!input.phone_number) throw badRequest("body.phone_number is required (E.164, e.g. +31850835037)", "missing_field");
    ensureUnique(ctx, input.phone_number);
    return reply.status(201).send({ number: ctx.store.numbers.create(input as NumberInput & { phone_number: string }) });
  });

  app.get("/numbers/:id", { schema: { tags, summary: "Get a number", params: UuidParams, response: one } }, async (req) => {
    const { id } = req.params as { id: string };
    const number = ctx.store.numbers.get(id);
    if (!number) throw notFound("Number", id);
    return { number };
  });

  app.patch("/numbers/:id", { schema: { tags, summary: "Update a number; null unassigns the assistant or detaches a trunk", params: UuidParams, body: UpdateBody, response: one } },
    async (req) => {
      const { id } = req.params as { id: string };
      if (!ctx.store.numbers.get(id)) throw notFound("Number", id);
      const input = normalise(ctx, req.body as Record<string, unknown>);
      ensureUnique(ctx, input.phone_number, id);
      return { number: ctx.store.numbers.update(id, input)! };
    });

  app.delete("/numbers/:id", { schema: { tags, summary: "Delete a number", params: UuidParams, response: { 200: Success, ...errorResponses } } }, async (req) => {
    const { id } = req.params as { id: string };
    if (!ctx.store.numbers.delete(id)) throw notFound("Number", id);
    return { success: true as const };
  });
}
