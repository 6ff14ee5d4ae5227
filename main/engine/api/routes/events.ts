import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";

/**
 * WebSocket stream of engine events (`call.created`, `call.updated`, `call.ended`, `call.message`,
 * `call.partial`, …), one JSON object per message. Authenticated like every route (header, or `?api_key=`
 * for browsers).
 */
export const eventRoutes: ApiRoutes = async (app, { ctx }) => {
  app.get(
    "/events",
    {
      websocket: true,
      config: { rateLimit: false, queryKey: true },
      schema: {
        tags: ["events"],
        summary: "Live engine events over WebSocket (local addition)",
        description:
          "Connect with `Authorization: Bearer <key>` or `?api_key=<key>`. Each message is one JSON event with a `type` and an ISO `at`. " +
          "A call's transcript arrives as `call.message` (a final line, stored) and, before it, `call.partial` while the line is spoken (as the words come with a streaming recognizer such as PocketSphinx or Deepgram, per finished stretch of speech with a batch one): " +
          "`{call_id, role, speaker?, text, turn}`, the line so far, at most 5 a second per call, for display only; an empty `text` takes it back, " +
          "and the `call.message` with the same `turn` (the caller's, or a person's with `speaker: \"operator\"`) supersedes it. " +
          "Other live events: `call.turn` (a reply's latency), `call.owner`, `call.hold`, `call.dtmf`, `call.problem`, `call.incoming`. " +
          "With `?role=console` the connection counts as an open console: calls to numbers without an active assistant ring it (`call.incoming`) instead of being turned away with 480.",
        querystring: Type.Object({
          api_key: Type.Optional(Type.String()),
          role: Type.Optional(Type.Union([Type.Literal("console"), Type.Literal("observer")])),
        }),
      },
    },
    (socket, req) => {
      const release = req.query.role === "console" ? ctx.ring?.register() : undefined;
      socket.send(JSON.stringify({ type: "hello", at: new Date().toISOString() }));
      const unsubscribe = ctx.bus.subscribe((event) => {
        // A slow consumer must not grow our memory without bound: drop it past 4 MB of backlog.
        if (socket.bufferedAmount > 4 * 1024 * 1024) {
          socket.close(1013, "too slow");
          return;
        }
        socket.send(JSON.stringify(event));
      });
      socket.on("close", () => {
        unsubscribe();
        release?.();
      });
      socket.on("error", () => {
        unsubscribe();
        release?.();
      });
    },
  );
};
