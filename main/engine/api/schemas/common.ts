import { Type } from "@sinclair/typebox";
import { Uuid } from "../../domain/schema.js";

export { FreeObject, IsoDateTime, Nullable, StringEnum, Uuid } from "../../domain/schema.js";

/** Flat error body: the only shape the official SDK parses (gaps.md B1). */
export const ErrorBody = Type.Object(
  { error: Type.String(), message: Type.String(), code: Type.Optional(Type.String()) },
  {
    $id: "ErrorBody",
    description: "Every error: short `error`, a `message` that says what to do, optional machine `code`.",
  },
);

export const E164 = Type.String({
  pattern: "^\\+[1-9][0-9]{6,14}$",
  description: "E.164 phone number, e.g. +31850835037",
});

export const Pagination = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  limit: Type.Integer({ minimum: 1 }),
  offset: Type.Integer({ minimum: 0 }),
});

export const Success = Type.Object({ success: Type.Literal(true) });

export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_+.-]+$", description: "resource id" }),
});
export const UuidParams = Type.Object({ id: Uuid });

/** Standard error responses, attached to every route so the OpenAPI document lists them. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
} as const;

export const LimitQuery = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: "page size, 1–1000" });
export const OffsetQuery = Type.Integer({ minimum: 0, default: 0, description: "rows to skip" });
