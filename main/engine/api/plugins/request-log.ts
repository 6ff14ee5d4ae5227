import type { FastifyInstance } from "fastify";
import { redactUrl } from "../redact-url.js";

/**
 * One line per request, at `debug`: fastify's own two JSON lines per request drowned the call events at
 * `info`. The URL is redacted (`api_key` in a WebSocket URL).
 */
export function registerRequestLog(app: FastifyInstance): void {
  // A WebSocket is handed over before any response: its line is written when it opens.
  app.addHook("onRequest", async (request) => {
    if (request.headers.upgrade?.toLowerCase() === "websocket")
      request.log.debug(`${request.method} ${redactUrl(request.url)} (WebSocket)`);
  });
  app.addHook("onResponse", async (request, reply) => {
    request.log.debug(
      `${request.method} ${redactUrl(request.url)} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)} ms`,
    );
  });
}
