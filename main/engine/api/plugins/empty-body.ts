import type { FastifyInstance } from "fastify";

/**
 * An empty body is "no body", whatever Content-Type came with it.
 *
 * The official SDK sends `Content-Type: application/json` on every request, DELETE and body-less POST
 * included, and curl users copy that header onto everything; fastify would try to parse the empty string
 * as JSON (400) or refuse the type (415). Dropping the header when nothing follows lets fastify take its
 * own "no body" path, so routes see `body: undefined` and their schema decides whether a body was needed.
 * A chunked request may still turn out empty: the JSON parser below accepts that too.
 */
export function registerEmptyBody(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    const headers = request.raw.headers;
    if (headers["content-type"] === undefined || headers["transfer-encoding"] !== undefined) return;
    const length = headers["content-length"];
    if (length === undefined || /^\s*0+\s*$/.test(length)) delete headers["content-type"];
  });

  // Fastify's own parser (prototype-poisoning checks included) for everything that is not empty.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if ((body as string).trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}
