// Shared by the API (request validation) and the assistant rules (objects that arrive by webhook), so a
// refused field reads the same whichever way it came in.

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Validation messages that name the field: `body/destination must match format "e164"` etc. */
export function formatSchemaErrors(errors: AjvError[], dataVar: string): Error {
  const e = errors.find((x) => x.keyword !== "anyOf" && x.keyword !== "if") ?? errors[0];
  const field = `${dataVar}${e.instancePath.replace(/\//g, ".").replace(/^\./, ".")}`.replace(/^(\w+)\./, "$1.");
  let message = `${field} ${e.message ?? "is invalid"}`;
  if (e.keyword === "required")
    message = `${dataVar}${e.instancePath.replace(/\//g, ".")}.${String(e.params.missingProperty)} is required`;
  if (e.keyword === "enum") message += `: ${(e.params.allowedValues as unknown[]).map(String).join(", ")}`;
  if (e.keyword === "additionalProperties")
    message = `${field} has an unknown field '${String(e.params.additionalProperty)}'`;
  return new Error(message);
}
