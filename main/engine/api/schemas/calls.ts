import { Type } from "@sinclair/typebox";
import { FreeObject, LimitQuery, OffsetQuery, Pagination, StringEnum } from "./common.js";
import { AssistantInline } from "./assistants.js";
import { Call, CALL_STATUSES } from "../../domain/call.js";

export { Call };

export const CallListQuery = Type.Object(
  {
    limit: Type.Optional(LimitQuery),
    offset: Type.Optional(OffsetQuery),
    status: Type.Optional(StringEnum(CALL_STATUSES, "only calls with this status")),
    start_date: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description: "ISO 8601 date or date-time: calls created at or after it",
      }),
    ),
    end_date: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description: "ISO 8601 date or date-time: calls created at or before it (a bare date includes that whole day)",
      }),
    ),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          "Local addition: search. Every word must start a word of the call's numbers, its assistant's name or its transcript (a finished call's), or the text is part of the name of the number it came in on",
      }),
    ),
    missed: Type.Optional(
      Type.Boolean({
        description:
          "Local addition: only missed calls (inbound, for a person, never answered: nobody could answer, declined, not answered in the ring time, or the caller gave up)",
      }),
    ),
  },
  { additionalProperties: false },
);

export const CallList = Type.Object({ calls: Type.Array(Call), pagination: Pagination });

/** E.164 or a SIP URI. */
export const DESTINATION_PATTERN = "^(\\+[1-9][0-9]{6,14}|sips?:[^\\s@]+@[^\\s@]+)$";

export const OutboundBody = Type.Object(
  {
    destination: Type.String({
      pattern: DESTINATION_PATTERN,
      description: "E.164 number (+31612345678) or SIP URI (sip:alice@example.com)",
    }),
    number_id: Type.Optional(Type.String({ format: "uuid" })),
    assistant_id: Type.Optional(Type.String({ format: "uuid" })),
    assistant: Type.Optional(AssistantInline),
    assistant_override: Type.Optional(AssistantInline),
    first_message: Type.Optional(Type.String({ maxLength: 5000 })),
    agent_id: Type.Optional(Type.String({ format: "uuid", description: "deprecated alias of assistant_id" })),
    agent: Type.Optional(AssistantInline),
    agent_config: Type.Optional(AssistantInline),
    metadata: Type.Optional(FreeObject()),
    handled_by: Type.Optional(
      StringEnum(
        ["assistant", "person"] as const,
        'Local addition: "person" places a call a person makes from the console (no assistant; leave out the assistant fields)',
      ),
    ),
  },
  { additionalProperties: true },
);

export const OutboundResponse = Type.Object({
  success: Type.Literal(true),
  call_id: Type.String(),
  room_name: Type.String(),
  status: Type.Literal("dialing"),
});

export const CONTROL_TYPES = ["inject-context", "say", "end-call", "transfer"] as const;
export const ControlBody = Type.Object(
  {
    type: StringEnum(CONTROL_TYPES, "command type"),
    content: Type.Optional(Type.String({ minLength: 1, maxLength: 10000 })),
    trigger_response: Type.Optional(Type.Boolean()),
    end_after: Type.Optional(Type.Boolean()),
    message: Type.Optional(Type.String({ maxLength: 5000 })),
    destination: Type.Optional(Type.String({ pattern: DESTINATION_PATTERN })),
  },
  { additionalProperties: true },
);

export const ControlResponse = Type.Object({ success: Type.Literal(true), message: Type.String() });
