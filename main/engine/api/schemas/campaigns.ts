import { Type } from "@sinclair/typebox";
import { CAMPAIGN_STATUSES, LEAD_STATUSES } from "../../store/campaigns.js";
import { E164, IsoDateTime, Nullable, Pagination, StringEnum, Uuid } from "./common.js";

const TimeOfDay = (what: string) =>
  Type.String({
    pattern: "^[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$",
    description: `${what}, "HH:MM:SS" (HH:MM accepted) in the campaign's time zone`,
  });
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: "IANA time zone, e.g. Europe/Amsterdam" });
/** Variables are a string map (SDK): numbers and booleans are refused rather than silently turned into text. */
const Variables = Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]{1,64}$" }), Type.String({ maxLength: 2000 }), {
  description:
    "values for {{variables}} in system_message_template; `timezone` (IANA) overrides the campaign's time zone for this lead (local addition)",
});

export const LeadBody = Type.Object(
  {
    phone_number: E164,
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    variables: Type.Optional(Variables),
  },
  { additionalProperties: false },
);

const localFields = {
  weekdays: Type.Optional(
    Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: "Local addition: ISO weekdays the window opens on (Monday = 1 … Sunday = 7); default every day",
    }),
  ),
  max_concurrency: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 50, description: "Local addition: leads called at once (default 2)" }),
  ),
  calls_per_second: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 10,
      description: "Local addition: new dials per second at most (default 1)",
    }),
  ),
  number_id: Type.Optional(Nullable(Uuid)),
};

export const CampaignCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    agent_id: Type.Optional(Uuid),
    assistant_id: Type.Optional(Uuid),
    system_message_template: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 20000,
          description: "{{variable}} placeholders filled per lead; becomes the call's system message",
        }),
      ),
    ),
    schedule_start_time: Type.Optional(TimeOfDay("start of the daily window (default 09:00:00)")),
    schedule_end_time: Type.Optional(TimeOfDay("end of the daily window, exclusive (default 17:00:00)")),
    timezone: Type.Optional(TimeZone),
    status: Type.Optional(StringEnum(["draft", "scheduled", "paused"] as const)),
    leads: Type.Optional(Type.Array(LeadBody, { maxItems: 10000 })),
    ...localFields,
  },
  { additionalProperties: false },
);

export const CampaignUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
    system_message_template: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
    schedule_start_time: Type.Optional(TimeOfDay("start of the daily window")),
    schedule_end_time: Type.Optional(TimeOfDay("end of the daily window")),
    timezone: Type.Optional(TimeZone),
    ...localFields,
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CampaignSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  agent_id: Type.String(),
  status: StringEnum(CAMPAIGN_STATUSES),
  system_message_template: Nullable(Type.String()),
  schedule_start_time: Type.String(),
  schedule_end_time: Type.String(),
  timezone: Type.String(),
  total_leads: Type.Integer(),
  completed_leads: Type.Integer(),
  failed_leads: Type.Integer(),
  weekdays: Type.Array(Type.Integer()),
  max_concurrency: Type.Integer(),
  calls_per_second: Type.Number(),
  number_id: Nullable(Type.String()),
  last_error: Nullable(
    Type.String({ description: "Local addition: why the engine paused this campaign (no trunk, assistant inactive…)" }),
  ),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});

export const LeadSchema = Type.Object({
  id: Type.String(),
  campaign_id: Type.String(),
  phone_number: Type.String(),
  name: Nullable(Type.String()),
  variables: Type.Record(Type.String(), Type.String()),
  status: StringEnum(LEAD_STATUSES),
  call_id: Nullable(Type.String()),
  attempts: Type.Integer(),
  last_attempt_at: Nullable(Type.String()),
  next_attempt_at: Nullable(
    Type.String({ description: "Local addition: earliest time of the next attempt (retries)" }),
  ),
  last_outcome: Nullable(
    Type.String({ description: "Local addition: how the last attempt went (answered, no_answer, busy, do_not_call…)" }),
  ),
  created_at: IsoDateTime,
  updated_at: IsoDateTime,
});

export const LeadList = Type.Object({ leads: Type.Array(LeadSchema), pagination: Pagination });

export const CsvImportBody = Type.Object(
  {
    csv: Type.String({
      minLength: 1,
      maxLength: 900_000,
      description: "the CSV text; the first line names the columns",
    }),
    mapping: Type.Optional(
      Type.Record(Type.String(), Nullable(Type.String({ minLength: 1, maxLength: 64 })), {
        description:
          "column → phone_number | name | a variable name | null (drop); unmapped columns become variables under their own name",
      }),
    ),
  },
  { additionalProperties: false },
);

export const CsvImportQuery = Type.Object(
  {
    dry_run: Type.Boolean({
      default: false,
      description: "Local addition: check and preview the import without adding any lead (the console's preview)",
    }),
  },
  { additionalProperties: false },
);

const PreviewRow = Type.Object({
  row: Type.Integer(),
  phone_number: Type.String(),
  name: Nullable(Type.String()),
  variables: Type.Record(Type.String(), Type.String()),
  merge: StringEnum(["new", "file", "existing"] as const),
  merged_with_row: Nullable(Type.Integer()),
  missing_variables: Type.Array(Type.String()),
});

export const CsvImportResult = Type.Object({
  imported: Type.Integer(),
  merged: Type.Integer(),
  columns: Type.Record(Type.String(), Nullable(Type.String())),
  errors: Type.Array(Type.Object({ row: Type.Integer(), message: Type.String() })),
  dry_run: Type.Optional(Type.Boolean()),
  preview: Type.Optional(
    Type.Array(PreviewRow, { description: "dry run only: the first 200 valid rows and what importing each would do" }),
  ),
  template_variables_without_column: Type.Optional(
    Type.Array(Type.String(), {
      description: "dry run only: {{variables}} of the template that no column provides (a misspelt header?)",
    }),
  ),
});

const ByStatus = Type.Object(Object.fromEntries(LEAD_STATUSES.map((s) => [s, Type.Integer()])));
export const ProgressSchema = Type.Object({
  leads_by_status: ByStatus,
  calls_in_flight: Type.Integer(),
  retry_waiting: Type.Integer({ description: "pending leads whose next attempt is not due yet" }),
  window_open_now: Type.Boolean(),
  attempts_ended: Type.Integer(),
  average_attempt_seconds: Type.Number(),
  eta_basis: StringEnum(["observed", "assumed"] as const),
  eta_seconds: Nullable(
    Type.Integer({ description: "dialling time left at this concurrency; closed windows and retry delays add to it" }),
  ),
});

export const DncEntry = Type.Object({
  phone_number: Type.String(),
  reason: Nullable(Type.String()),
  created_at: IsoDateTime,
});
export const DncBody = Type.Object(
  { phone_number: E164, reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) },
  { additionalProperties: false },
);
