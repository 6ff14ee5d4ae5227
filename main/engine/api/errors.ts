/** An error meant for the API client: carries the HTTP status and a message that says what to do. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = "invalid_request") =>
  new ApiError(400, "Bad Request", message, code);
export const notFound = (what: string, id: string) =>
  new ApiError(404, "Not Found", `${what} '${id}' does not exist`, "not_found");
export const conflict = (message: string) => new ApiError(409, "Conflict", message, "conflict");
