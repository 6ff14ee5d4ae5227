import { Type, type Static } from "@sinclair/typebox";
import { FreeObject, StringEnum, type FreeJson } from "./schema.js";

// Analysis and tool templates, written once: the API's request and response schemas and the store's types.

const Message = Type.Object({ role: StringEnum(["system", "user", "assistant"] as const), content: Type.String() });
const JsonSchema = FreeObject({ description: "JSON Schema" });

export const analysisTemplateFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  schema: Type.Optional(JsonSchema),
  messages: Type.Optional(Type.Array(Message, { description: "guide shape: placeholders {{schema}}, {{transcript}}" })),
  min_messages_threshold: Type.Optional(Type.Integer({ minimum: 0 })),
  system_prompt: Type.Optional(Type.String({ maxLength: 20000, description: "API shape" })),
  user_prompt: Type.Optional(
    Type.String({
      maxLength: 20000,
      description: "API shape: placeholders {transcript}, {summary}, {duration}, {caller_number}",
    }),
  ),
};
const { name: analysisName, ...analysisOptional } = analysisTemplateFields;
export const AnalysisTemplateCreate = Type.Object(analysisTemplateFields, { additionalProperties: true });
export const AnalysisTemplateUpdate = Type.Object(
  { name: Type.Optional(analysisName), ...analysisOptional },
  { additionalProperties: true, minProperties: 1 },
);
export const AnalysisTemplate = Type.Object(
  {
    id: Type.String(),
    org_id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);
/** What an analysis template stores beside its name. */
export type AnalysisTemplateData = Omit<Static<typeof AnalysisTemplateCreate>, "name">;

export const TOOL_TYPES = ["function", "end_call", "transfer_call", "endCall", "transferCall"] as const;
export const toolTemplateFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  tool_type: StringEnum(TOOL_TYPES, "function (webhook), end_call or transfer_call; camelCase accepted"),
  tool_config: FreeObject(),
};
export const ToolTemplateCreate = Type.Object(toolTemplateFields, { additionalProperties: true });
export const ToolTemplateUpdate = Type.Object(
  {
    name: Type.Optional(toolTemplateFields.name),
    description: toolTemplateFields.description,
    tool_type: Type.Optional(toolTemplateFields.tool_type),
    tool_config: Type.Optional(toolTemplateFields.tool_config),
  },
  { additionalProperties: true, minProperties: 1 },
);
export const ToolTemplate = Type.Object(
  {
    id: Type.String(),
    org_id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    tool_type: Type.String(),
    tool_config: FreeObject(),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { additionalProperties: true },
);
/** What a tool template stores beside its name; `tool_type` is kept in the SDK's snake_case. */
export interface ToolTemplateData {
  description: string | null;
  tool_type: string;
  tool_config: FreeJson;
}
