import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Nullable } from "../schemas/common.js";
import { ALLOWED_PREFIXES_SETTING, allowedPrefixes } from "../../calls/destination-policy.js";

const Settings = Type.Object(
  {
    outbound_allowed_prefixes: Nullable(Type.Array(Type.String())),
    effective_outbound_allowed_prefixes: Nullable(
      Type.Array(Type.String(), {
        description:
          "what applies now: the list, or by default the countries of your numbers; null = no restriction (no list and no numbers yet)",
      }),
    ),
  },
  { description: "Local addition: engine-wide settings" },
);

/** Local addition: the outbound destination allow-list (issue #13 §9). */
export const settingsRoutes: ApiRoutes = async (app, { ctx }) => {
  const tags = ["settings"];
  const view = () => ({
    outbound_allowed_prefixes: ctx.store.settings.get<string[] | null>(ALLOWED_PREFIXES_SETTING, null),
    effective_outbound_allowed_prefixes: allowedPrefixes(ctx.store),
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
            outbound_allowed_prefixes: Nullable(
              Type.Array(Type.String({ pattern: "^\\+\\d{1,14}$", description: "E.164 prefix, e.g. +31 or +4420" }), {
                maxItems: 200,
              }),
            ),
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
      return view();
    },
  );
};
