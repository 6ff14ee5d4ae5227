import type { FastifyError, FastifyInstance } from "fastify";
import { ApiError } from "../errors.js";
import { DomainError, type RefusalKind } from "../../domain/errors.js";

export { formatSchemaErrors } from "../../domain/schema-errors.js";

const REFUSAL_STATUS: Record<RefusalKind, number> = {
  invalid: 400,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  not_implemented: 501,
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Fastify's own client errors, reworded so a person knows what to change. */
function messageFor(err: FastifyError): string {
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return `Request body is not valid JSON: ${err.message.replace(/^Body is not valid JSON but content-type is set to 'application\/json'$/, "check quotes, commas and brackets")}`;
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "Request body is larger than the 1 MB limit";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "Unsupported Content-Type: send JSON with 'Content-Type: application/json'";
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "Content-Length does not match the body";
    default:
      return err.message;
  }
}

/** One error handler: every failure leaves as flat `{ error, message }`; 5xx internals never reach the client. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & Partial<ApiError>, request, reply) => {
    if (err instanceof DomainError) {
      const status = REFUSAL_STATUS[err.kind];
      return reply.status(status).send({ error: STATUS_TEXT[status], message: err.message, code: err.code });
    }
    if (err instanceof ApiError) {
      return reply
        .status(err.statusCode)
        .send({ error: err.error, message: err.message, ...(err.code ? { code: err.code } : {}) });
    }
    if (err.validation) {
      return reply.status(400).send({ error: "Bad Request", message: err.message, code: "invalid_request" });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err }, "request failed");
      return reply.status(status).send({
        error: STATUS_TEXT[status] ?? "Internal Server Error",
        message: "Something went wrong inside VoiceDock; the details are in its log",
      });
    }
    return reply.status(status).send({
      error: STATUS_TEXT[status] ?? "Error",
      message: messageFor(err),
      ...(status === 429 ? { code: "rate_limit_exceeded" } : {}),
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send({ error: "Not Found", message: `No endpoint ${request.method} ${request.url.split("?")[0]}` });
  });
}
