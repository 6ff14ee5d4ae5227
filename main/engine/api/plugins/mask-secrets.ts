import type { FastifyInstance } from "fastify";
import { maskSealedInJson } from "../../store/credentials.js";

/**
 * Every JSON response passes here: a sealed credential (a tool's secret, an auth header, at any depth of
 * any object) leaves as `********`. One place rather than one per route, so a new route cannot forget it.
 */
export function registerSecretMasking(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    if (typeof payload !== "string") return payload;
    const type = String(reply.getHeader("content-type") ?? "");
    return type.includes("json") ? maskSealedInJson(payload) : payload;
  });
}
