import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiKeyRepo, ApiKeyRow } from "../../store/api-keys.js";
import { ApiError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    apiKey?: ApiKeyRow;
  }
  interface FastifyContextConfig {
    public?: boolean;
    /** A WebSocket route: browsers cannot set headers there, so `?api_key=` is accepted too. */
    queryKey?: boolean;
    /**
     * A route that also takes a signed URL instead of a key (recordings for an `<audio>` element): "ok" lets a
     * request without an Authorization header through, "invalid" refuses it with its own message.
     */
    signedUrl?: (request: FastifyRequest) => "ok" | "invalid" | "absent";
  }
}

/**
 * Bearer auth on every /api/v1 route except those marked `config: { public: true }` (health).
 * Browsers cannot set headers on a WebSocket, so WebSocket routes (`config: { queryKey: true }`) also take `?api_key=`.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyRepo): void {
  app.addHook("onRequest", async (request: FastifyRequest) => {
    if (request.routeOptions.config?.public) return;
    // The API, and the documented web-call path of the cloud's other host (api-v1 §7.1).
    if (!request.url.startsWith("/api/v1") && !request.url.startsWith("/v1/")) return;
    const header = request.headers.authorization;
    const signed = header ? "absent" : (request.routeOptions.config?.signedUrl?.(request) ?? "absent");
    if (signed === "ok") return;
    if (signed === "invalid")
      throw new ApiError(
        401,
        "Unauthorized",
        "This recording link has expired or is not valid (links work for 5 minutes): ask for a new one",
        "invalid_signed_url",
      );
    let key: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m)
        throw new ApiError(401, "Unauthorized", "Authorization header must be 'Bearer <API key>'", "unauthorized");
      key = m[1];
    } else if (request.routeOptions.config?.queryKey) {
      key = (request.query as Record<string, string | undefined>)?.api_key;
    }
    if (!key)
      throw new ApiError(
        401,
        "Unauthorized",
        "Invalid or missing API key: send 'Authorization: Bearer <API key>'",
        "unauthorized",
      );
    const check = keys.check(key);
    if (!check.ok) {
      throw check.reason === "revoked"
        ? new ApiError(
            401,
            "Unauthorized",
            "API key has been revoked: create a new one with 'voicedock keys create'",
            "api_key_revoked",
          )
        : new ApiError(401, "Unauthorized", "Invalid API key", "unauthorized");
    }
    request.apiKey = check.key;
  });
}
