import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { AssistantInline } from "./assistants.js";
import { formatSchemaErrors } from "../plugins/errors.js";
import { checkAssistantConfig } from "../routes/assistants.js";
import { ApiError } from "../errors.js";

// The same validator options as JSON request bodies (api/app.ts): no coercion, formats checked.
const ajv = new Ajv({ coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, strict: false });
addFormats.default(ajv);
const validateInline = ajv.compile(AssistantInline);

/**
 * Checks an assistant object that did not come through an API route (an `assistant-request` answer) by the
 * rules POST /assistants applies: the schema on the object itself, then the cross-field rules on `merged` (the
 * assistant the call would run). Returns why it is invalid, or null.
 */
export function assistantProblem(value: Record<string, unknown>, where: string, merged?: Record<string, unknown>): string | null {
  if (!validateInline(value)) return formatSchemaErrors(validateInline.errors as never, where).message;
  try {
    // The cross-field rules hold for what the call will run: the answer merged over the saved assistant.
    checkAssistantConfig(merged ?? value, where);
  } catch (err) {
    if (err instanceof ApiError) return err.message;
    throw err;
  }
  return null;
}
