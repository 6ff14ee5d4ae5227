import { Type, type Static } from "@sinclair/typebox";
import { Nullable, Uuid } from "./schema.js";

// A phone number, written once: the API's request and response schemas and the store's types.

const E164_RULE = { pattern: "^\\+[1-9][0-9]{6,14}$", description: "E.164, e.g. +31850835037" };

export const PhoneNumber = Type.Object(
  {
    id: Type.String(),
    phone_number: Type.String(),
    name: Nullable(Type.String()),
    assistant_id: Nullable(Type.String()),
    agent_id: Nullable(Type.String()),
    agent_name: Nullable(Type.String()),
    business_name: Nullable(Type.String()),
    transfer_trunk_id: Nullable(Type.String()),
    transfer_trunk_name: Nullable(Type.String()),
    sip_trunk_id: Nullable(Type.String({ description: "Local addition: the SIP trunk that carries this number" })),
    sip_trunk_name: Nullable(Type.String()),
    workflow_id: Nullable(Type.String()),
    workflow_name: Nullable(Type.String()),
    source: Type.String(),
    is_active: Type.Boolean(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);

const numberFields = {
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
export const NumberCreate = Type.Object(numberFields, { additionalProperties: true });
export const NumberUpdate = Type.Object(numberFields, { additionalProperties: true, minProperties: 1 });

export type PhoneNumberView = Static<typeof PhoneNumber>;
export type NumberCreateBody = Static<typeof NumberCreate>;
export type NumberUpdateBody = Static<typeof NumberUpdate>;

/** What the store writes: the request with its aliases folded (`number`, `agent_id`). */
export interface NumberInput {
  phone_number?: string;
  name?: string | null;
  assistant_id?: string | null;
  transfer_trunk_id?: string | null;
  sip_trunk_id?: string | null;
  workflow_id?: string | null;
  is_active?: boolean;
}
