import { Type, type Static } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Nullable } from "../schemas/common.js";
import { ALLOWED_PREFIXES_SETTING, allowedPrefixes } from "../../calls/destination-policy.js";
import { CALL_HANDLING_MODES, callHandling, setCallHandling } from "../../calls/call-handling.js";
import { StringEnum } from "../../domain/schema.js";

const CallHandling = Type.Object(
  {
    mode: StringEnum(
      CALL_HANDLING_MODES,
      "who answers incoming calls: ring_me (as numbers are set up), ai_answers_all, ring_then_ai, reject (do not disturb)",
    ),
    ai_after_seconds: Type.Integer({ minimum: 1, maximum: 120, description: "ring_then_ai: rings this long first" }),
    fallback_assistant_id: Nullable(
      Type.String({ format: "uuid", description: "answers calls to numbers without an assistant of their own" }),
    ),
  },
  { additionalProperties: false },
);

/** A saved steering line: one click in the console says it, or gives it to the assistant as a note. */
const SteerMacro = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 40, description: "what the button shows" }),
    kind: StringEnum(
      ["say", "note", "ask"] as const,
      "say: spoken next; note: silent context; ask: context answered now",
    ),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
const SteerMacros = Type.Array(SteerMacro, { maxItems: 30 });
const STEER_MACROS_SETTING = "steer_macros";

const Settings = Type.Object(
  {
    outbound_allowed_prefixes: Nullable(Type.Array(Type.String())),
    call_handling: CallHandling,
    steer_macros: SteerMacros,
    effective_outbound_allowed_prefixes: Nullable(
      Type.Array(Type.String(), {
        description:
          "what applies now: the list, or by default the countries of your numbers; null = no restriction (no list and no numbers yet)",
      }),
    ),
  },
  { description: "Local addition: engine-wide settings" },
);

/**
 * Local additions: the outbound destination allow-list (issue #13 §9), who answers incoming calls and the
 * console's steering macros (#16).
 */
export const settingsRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["settings"];
  const view = () => ({
    outbound_allowed_prefixes: ctx.store.settings.get<string[] | null>(ALLOWED_PREFIXES_SETTING, null),
    effective_outbound_allowed_prefixes: allowedPrefixes(ctx.store),
    call_handling: callHandling(ctx.store),
    steer_macros: ctx.store.settings.get<Static<typeof SteerMacros>>(STEER_MACROS_SETTING, []),
  });
  app.get(
    "/settings",
    { schema: { tags, summary: "Local addition: engine settings", response: { 200: Settings, ...errorResponses } } },
    async () => view(),
  );
  app.patch(
    "/settings",
    {
      schema: {
        tags,
        summary: "Local addition: change engine settings",
        body: Type.Object(
          {
            outbound_allowed_prefixes: Type.Optional(
              Nullable(
                Type.Array(Type.String({ pattern: "^\\+\\d{1,14}$", description: "E.164 prefix, e.g. +31 or +4420" }), {
                  maxItems: 200,
                }),
              ),
            ),
            call_handling: Type.Optional(Type.Partial(CallHandling, { additionalProperties: false, minProperties: 1 })),
            steer_macros: Type.Optional(SteerMacros),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Settings, ...errorResponses },
      },
    },
    async (req) => {
      const body = req.body;
      if (body.outbound_allowed_prefixes !== undefined)
        ctx.store.settings.set(ALLOWED_PREFIXES_SETTING, body.outbound_allowed_prefixes);
      if (body.call_handling) setCallHandling(ctx.store, body.call_handling);
      if (body.steer_macros) ctx.store.settings.set(STEER_MACROS_SETTING, body.steer_macros);
      return view();
    },
  );
};
