import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, IdParams } from "../schemas/common.js";
import { DESTINATION_PATTERN } from "../schemas/calls.js";
import { conflict, notFound } from "../errors.js";
import { controlRateLimit } from "../plugins/rate-limit.js";

const ConsultBody = Type.Object(
  {
    destination: Type.String({
      pattern: DESTINATION_PATTERN,
      description: "who to consult: E.164 number (+31612345678) or SIP URI (sip:alice@example.com)",
    }),
  },
  { additionalProperties: false },
);
const ConsultResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  consult_call_id: Type.String({ description: "the new call to the person consulted (handled by a person)" }),
  message: Type.String(),
});
const PairBody = Type.Object(
  {
    consult_call_id: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: "^[A-Za-z0-9_+.-]+$",
      description: "the consultation, as POST /calls/{id}/consult answered it",
    }),
  },
  { additionalProperties: false },
);
const PairResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  consult_call_id: Type.String(),
  message: Type.String(),
});
const SwapResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  consult_call_id: Type.String(),
  active_call_id: Type.String({ description: "the call the person talks on now; the other one is on hold" }),
  message: Type.String(),
});

/**
 * Attended transfer of a person's call (local additions, issue #16): consult someone while the caller is on
 * hold, then join the two (complete), hang up on the consultation and take the caller back (cancel), or
 * switch between them (swap). 404: unknown call; 409: not a person's live call, consultation not answered
 * or not this call's, or a far end refused a hold.
 */
export const attendedTransferRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["calls"];
  const rateLimit = controlRateLimit(ctx.rateLimit.controlPerCallPerMinute, "transfer");

  /** The call exists (404) and telephony runs here (409): what each route asks first. */
  const attended = (id: string) => {
    if (!ctx.calls.get(id)) throw notFound("Call", id);
    if (!ctx.attendedTransfer) throw conflict(`Call '${id}' is not live on this engine: telephony is not running`);
    return ctx.attendedTransfer;
  };

  app.post(
    "/calls/:id/consult",
    {
      config: rateLimit,
      schema: {
        tags,
        summary: "Local addition: a person puts their call on hold (re-INVITE) and calls someone to consult",
        description:
          "Answers once the far end accepted the hold and the consultation is dialled; the consultation's answer arrives as its call's events. " +
          "The consultation is a person's call on the same trunk and number; its metadata names the call it consults for (consult_for_call_id). " +
          "403 when the destination is outside the allowed destinations; 409 when the call is not a person's call in progress here, already has a consultation, or the far end refused the hold.",
        params: IdParams,
        body: ConsultBody,
        response: { 200: ConsultResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { consult_call_id } = await attended(id).consult(id, req.body.destination);
      return {
        success: true as const,
        call_id: id,
        consult_call_id,
        message: `The far end is on hold; calling ${req.body.destination}`,
      };
    },
  );

  /** Complete and cancel: the same pair in, the same answer out. */
  const pairStep = (step: "complete" | "cancel", doc: { summary: string; description?: string }, message: string) =>
    app.post(
      `/calls/:id/transfer/${step}`,
      {
        config: rateLimit,
        schema: {
          tags,
          ...doc,
          params: IdParams,
          body: PairBody,
          response: { 200: PairResponse, ...errorResponses, 409: errorResponses[400] },
        },
      },
      async (req) => {
        const { id } = req.params;
        const consult = req.body.consult_call_id;
        await attended(id)[step](id, consult);
        return { success: true as const, call_id: id, consult_call_id: consult, message };
      },
    );
  pairStep(
    "complete",
    {
      summary: "Local addition: completes an attended transfer: the two far ends talk to each other, the person leaves",
      description:
        "Takes the held call off hold (re-INVITE a=sendrecv) and relays audio and digits between the two calls inside the engine; both calls end " +
        "as `transferred`, and when either far end hangs up the other gets BYE. 409 when the consultation is not answered yet or not this call's.",
    },
    "The two calls are joined; they go on without you",
  );
  pairStep(
    "cancel",
    { summary: "Local addition: cancels an attended transfer: hangs up the consultation and takes the call off hold" },
    "The consultation is hung up; the call is off hold",
  );

  app.post(
    "/calls/:id/transfer/swap",
    {
      config: rateLimit,
      schema: {
        tags,
        summary:
          "Local addition: switches between a call and its consultation: the one you talk to goes on hold, the other comes back",
        params: IdParams,
        body: PairBody,
        response: { 200: SwapResponse, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req) => {
      const { id } = req.params;
      const consult = req.body.consult_call_id;
      const { active_call_id } = await attended(id).swap(id, consult);
      return {
        success: true as const,
        call_id: id,
        consult_call_id: consult,
        active_call_id,
        message:
          active_call_id === id
            ? "You are back on the call; the consultation is on hold"
            : "You are on the consultation; the call is on hold",
      };
    },
  );
};
