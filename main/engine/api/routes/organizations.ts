import { Type } from "@sinclair/typebox";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Nullable } from "../schemas/common.js";
import { ApiError } from "../errors.js";

const Organization = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    company_name: Type.String(),
    email: Nullable(Type.String()),
    minutes_balance: Type.Number(),
    monthly_usage_minutes: Type.Number(),
    active_numbers: Type.Integer(),
    active_agents: Type.Integer(),
    active_calls: Type.Integer(),
    has_local_models_access: Type.Boolean(),
    parent_org_id: Nullable(Type.String()),
    children: Type.Optional(
      Type.Array(Type.Object({ id: Type.String(), name: Type.String(), created_at: Type.String() })),
    ),
    created_at: Type.String(),
  },
  { description: "The one local organization. `minutes_balance` is unlimited locally and reported as a large number." },
);

/** Minutes are not billed locally; the balance is reported so SDK code that checks it keeps working. */
const LOCAL_MINUTES_BALANCE = 999999;

export const organizationRoutes: ApiRoutes = async (app, { ctx }) => {
  const describe = (includeChildren: boolean) => {
    const org = ctx.store.organization.get();
    const monthStart = new Date();
    monthStart.setUTCDate(1);
    monthStart.setUTCHours(0, 0, 0, 0);
    const seconds = ctx.store.calls.secondsSince(monthStart.toISOString());
    const activeNumbers = ctx.store.numbers.activeCount();
    return {
      id: org.id,
      name: org.name,
      company_name: org.name,
      email: null,
      minutes_balance: LOCAL_MINUTES_BALANCE,
      monthly_usage_minutes: Math.round((seconds / 60) * 100) / 100,
      active_numbers: activeNumbers,
      active_agents: ctx.store.assistants.countActive(),
      active_calls: ctx.store.calls.countByStatus(["connecting", "in-progress"]),
      has_local_models_access: true,
      parent_org_id: null,
      ...(includeChildren ? { children: [] } : {}),
      created_at: org.created_at,
    };
  };
  const schema = {
    tags: ["organization"],
    querystring: Type.Object({ include_children: Type.Optional(Type.Boolean()) }),
    response: { 200: Organization, ...errorResponses },
  };
  app.get("/organizations", { schema: { ...schema, summary: "Organization info with live counts" } }, async (req) =>
    describe(req.query.include_children === true),
  );
  app.get(
    "/account",
    { schema: { ...schema, summary: "Deprecated alias of GET /organizations", deprecated: true } },
    async (req) => describe(req.query.include_children === true),
  );
  app.post(
    "/organizations",
    {
      schema: {
        tags: ["organization"],
        summary: "Not available locally (one organization per install)",
        response: errorResponses,
      },
    },
    async () => {
      throw new ApiError(
        403,
        "Forbidden",
        "VoiceDock Desktop has one local organization; child organizations exist only in the cloud product",
        "forbidden",
      );
    },
  );
};
