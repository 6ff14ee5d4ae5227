import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, IdParams } from "../schemas/common.js";
import { conflict, notFound } from "../errors.js";
import { controlRateLimit } from "../plugins/rate-limit.js";

const RingResponse = Type.Object({ success: Type.Literal(true), call_id: Type.String(), message: Type.String() });
const TakeoverResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  message: Type.String(),
  console_mode: Type.Union([Type.Literal("talk"), Type.Literal("listen"), Type.Null()], {
    description: "the mode of the console audio session (POST /calls/{id}/webrtc) now: talk once it has the call",
  }),
});
const TakeoverBody = Type.Union([
  Type.Object(
    {
      session: Type.Optional(
        Type.String({
          minLength: 16,
          maxLength: 64,
          description: "the console audio session (from POST /calls/{id}/webrtc) that talks from now on",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const DtmfBody = Type.Object(
  {
    digits: Type.String({
      pattern: "^[0-9*#A-D]{1,32}$",
      description: "1–32 keypad digits: 0-9, *, #, A-D",
      examples: ["123#"],
    }),
  },
  { additionalProperties: false },
);
const HoldBody = Type.Object(
  { hold: Type.Boolean({ description: "true puts the far end on hold, false takes it off" }) },
  { additionalProperties: false },
);
const HoldResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  message: Type.String(),
  on_hold: Type.Boolean(),
});
/** A dial pad sends a request per key or per few keys: several times what control commands get. */
const DTMF_PER_CONTROL = 6;

/** Frames a console may send ahead of playout: beyond this its audio is dropped rather than delayed. */
const MAX_TALK_BACKLOG_MS = 300;
/** 20 ms of 8 kHz 16-bit mono: what the audio socket carries each way per message. */
const FRAME_BYTES = 320;

/**
 * A person at the console (local additions): answer or decline a call that rings the consoles, hold it,
 * dial digits on it, and hear and speak on a live call over a WebSocket of raw PCM.
 */
export const consoleCallRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["calls"];

  for (const action of ["answer", "decline"] as const) {
    app.post(
      `/calls/:id/${action}`,
      {
        schema: {
          tags,
          summary: `Local addition: ${action} a call that is ringing the consoles (number without an active assistant)`,
          params: IdParams,
          response: { 200: RingResponse, ...errorResponses, 409: errorResponses[400] },
        },
      },
      async (req) => {
        const { id } = req.params;
        const call = ctx.calls.get(id);
        if (!call) throw notFound("Call", id);
        const done = action === "answer" ? ctx.ring?.answer(id) : ctx.ring?.decline(id);
        if (!done)
          throw conflict(
            `Call '${id}' is not ringing (its status is '${call.status}'): only a call that rings the consoles can be ${action === "answer" ? "answered" : "declined"}`,
          );
        return { success: true as const, call_id: id, message: action === "answer" ? "Answering" : "Declined" };
      },
    );
  }

  /** The call exists (404) and is in progress (409 saying what only such a call can have done). */
  const inProgress = (id: string, onlyThen: string) => {
    const call = ctx.calls.get(id);
    if (!call) throw notFound("Call", id);
    if (call.status !== "in-progress") throw conflict(`Call '${id}' is ${call.status}: ${onlyThen}`);
  };

  app.post(
    "/calls/:id/takeover",
    {
      config: controlRateLimit(ctx.rateLimit.controlPerCallPerMinute),
      schema: {
        tags,
        summary:
          "Local addition: a person takes a live call from its assistant (the assistant stops; talk over /calls/{id}/audio)",
        params: IdParams,
        body: TakeoverBody,
        response: { 200: TakeoverResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      inProgress(id, "only a call in progress can be taken over");
      if (!ctx.takeOver) throw conflict(`Call '${id}' has no running assistant to take over`);
      ctx.takeOver(id);
      const mode = ctx.consoleLegs?.ownerChanged(id, req.body?.session) ?? null;
      return {
        success: true as const,
        call_id: id,
        message: "The assistant has stopped; the call is yours",
        console_mode: mode,
      };
    },
  );

  app.post(
    "/calls/:id/dtmf",
    {
      config: controlRateLimit(ctx.rateLimit.controlPerCallPerMinute * DTMF_PER_CONTROL, "dtmf"),
      schema: {
        tags,
        summary: "Local addition: a person's dial pad: sends keypad digits to the far end (RFC 4733)",
        params: IdParams,
        body: DtmfBody,
        response: { 200: RingResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      inProgress(id, "digits can only be sent on a call in progress");
      if (!ctx.sendDtmf) throw conflict(`Call '${id}' is not live on this engine`);
      ctx.sendDtmf(id, req.body.digits);
      return { success: true as const, call_id: id, message: `Sent ${req.body.digits}` };
    },
  );

  app.post(
    "/calls/:id/hold",
    {
      config: controlRateLimit(ctx.rateLimit.controlPerCallPerMinute),
      schema: {
        tags,
        summary: "Local addition: a person puts the far end on hold or takes it off (SIP re-INVITE)",
        description:
          "Answers once the far end accepted the re-INVITE (a=sendonly to hold, a=sendrecv to resume). 409 when the call is not " +
          "live here, an assistant speaks on it, another hold is still waiting for its answer, or the far end refused (its SIP code is in the message).",
        params: IdParams,
        body: HoldBody,
        response: { 200: HoldResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      const on = req.body.hold;
      inProgress(id, "only a call in progress can be put on hold");
      if (!ctx.hold) throw conflict(`Call '${id}' is not live on this engine`);
      await ctx.hold(id, on);
      return {
        success: true as const,
        call_id: id,
        message: on ? "The far end is on hold" : "The far end is off hold",
        on_hold: on,
      };
    },
  );

  app.post(
    "/calls/:id/handback",
    {
      config: controlRateLimit(ctx.rateLimit.controlPerCallPerMinute),
      schema: {
        tags,
        summary:
          "Local addition: a person gives a call they took over back to its assistant, which goes on with a summary of what was said meanwhile",
        params: IdParams,
        response: { 200: RingResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      inProgress(id, "only a call in progress can be handed back");
      if (!ctx.handBack)
        throw conflict(`Call '${id}' has not been taken over by a person: there is nothing to hand back`);
      await ctx.handBack(id);
      // Every console on the call listens again; the assistant speaks.
      ctx.consoleLegs?.ownerChanged(id);
      return {
        success: true as const,
        call_id: id,
        message: "The assistant has the call again and knows what was said meanwhile",
      };
    },
  );

  app.get(
    "/calls/:id/audio",
    {
      websocket: true,
      config: { rateLimit: false, queryKey: true },
      schema: {
        tags,
        summary: "Local addition: a live call's audio over WebSocket",
        description:
          "Binary messages both ways, each 20 ms of 8 kHz 16-bit little-endian mono PCM (320 bytes). From the server: the caller's audio. " +
          "To the server: the person's voice, played to the caller — only on calls no assistant speaks on (the socket is then listen-only and says so in its first text message; " +
          "after a hand-back to the assistant the person's audio is dropped).",
        params: IdParams,
        querystring: Type.Object({ api_key: Type.Optional(Type.String()) }),
      },
    },
    (socket, req) => {
      const { id } = req.params;
      const audio = ctx.callAudio?.(id) ?? null;
      if (!audio) {
        socket.send(JSON.stringify({ type: "error", message: `Call '${id}' is not live on this engine` }));
        socket.close(4404, "call not live");
        return;
      }
      const talk = !ctx.assistantSpeaks?.(id);
      socket.send(JSON.stringify({ type: "ready", talk, sample_rate: 8000, frame_bytes: FRAME_BYTES }));
      const stopListening = audio.onFrame(({ data: pcm }) => {
        // A console that cannot keep up misses audio rather than growing our memory.
        if (socket.bufferedAmount > 64 * FRAME_BYTES) return;
        // A copy: the session reuses its frame buffer, and a queued write must not see the next frame.
        socket.send(Buffer.from(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength)));
      });
      let queued = 0;
      socket.on("message", (data: Buffer, isBinary: boolean) => {
        // A hand-back gives the line to the assistant: the person's voice no longer reaches the caller.
        if (!talk || !isBinary || data.length === 0 || data.length % 2 || ctx.assistantSpeaks?.(id)) return;
        // Samples handed over minus samples sent is the backlog; past it, the console runs ahead of the call.
        if ((queued - audio.playedSamples) / 8 > MAX_TALK_BACKLOG_MS) return;
        const pcm = new Int16Array(data.length / 2);
        for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
        queued = Math.max(queued, audio.playedSamples) + pcm.length;
        // Heard before it is played: a leg may hand the buffer on to its media thread.
        ctx.hearPerson?.(id, pcm);
        audio.play(pcm);
      });
      const close = () => {
        stopListening();
        audio.close();
      };
      socket.on("close", close);
      socket.on("error", close);
      const closeWhenOver = ctx.bus.subscribe((event) => {
        if (event.type === "call.ended" && event.call.id === id) {
          closeWhenOver();
          socket.close(1000, "call ended");
        }
      });
      socket.on("close", closeWhenOver);
    },
  );
};
