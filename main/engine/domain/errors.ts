/**
 * Errors of the domain: a rule of the product refused something (a call that is not live, a number that
 * is not allowed, an assistant that does not exist). They carry what kind of refusal it is and a message
 * that says what to do; the API maps the kind to an HTTP status (api/plugins/errors.ts), so nothing below
 * the API knows about HTTP.
 */
export type RefusalKind = "invalid" | "not_found" | "forbidden" | "conflict" | "not_implemented";

export class DomainError extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string, code = "invalid_request") => new DomainError("invalid", message, code);
export const notFound = (what: string, id: string) =>
  new DomainError("not_found", `${what} '${id}' does not exist`, "not_found");
export const forbidden = (message: string, code: string) => new DomainError("forbidden", message, code);
export const conflict = (message: string, code = "conflict") => new DomainError("conflict", message, code);
export const notImplemented = (message: string, code = "not_available") =>
  new DomainError("not_implemented", message, code);
