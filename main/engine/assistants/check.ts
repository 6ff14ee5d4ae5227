import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { AssistantInline, type AssistantInput } from "../domain/assistant.js";
import { formatSchemaErrors } from "../domain/schema-errors.js";
import { DomainError } from "../domain/errors.js";
import { checkAssistantConfig } from "./rules.js";

// The same validator options as JSON request bodies (api/app.ts): no coercion, formats checked.
const ajv = new Ajv({
  coerceTypes: false,
  useDefaults: false,
  removeAdditional: false,
  allErrors: false,
  strict: false,
});
addFormats.default(ajv);
const validateInline = ajv.compile<AssistantInput>(AssistantInline);

/**
 * Checks an assistant object that did not come through an API route (an `assistant-request` answer) by the
 * rules POST /assistants applies: the schema on the object itself, then the cross-field rules on `merged` (the
 * assistant the call would run, built from the valid object). Returns why it is invalid, or null.
 */
export function assistantProblem(
  value: unknown,
  where: string,
  merged: (valid: AssistantInput) => AssistantInput = (v) => v,
): string | null {
  if (!validateInline(value)) return formatSchemaErrors(validateInline.errors ?? [], where).message;
  try {
    checkAssistantConfig(merged(value), where);
  } catch (err) {
    if (err instanceof DomainError) return err.message;
    throw err;
  }
  return null;
}
