import { Type, type Static } from "@sinclair/typebox";
import { FreeObject, IsoDateTime, Nullable, StringEnum } from "./schema.js";

// The Call object of the v1 API, written once: the API's response schema, the store's record type and the
// console's type (shared-types/calls.ts) all come from here. Migration 003 builds the same object in SQL;
// test/unit/call-json.test.ts holds the two equal.

// The documented REST enum. A call whose far end rings stays `connecting`; `ringing_at` says since when.
export const CALL_STATUSES = ["connecting", "in-progress", "ended", "failed"] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];
export const CALL_DIRECTIONS = ["inbound", "outbound", "web"] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

// The response schema documents `role` as any string and `at` as optional (older clients' view); what the
// engine writes is narrower, and the type says so without changing the documented schema.
export interface CallMessage {
  role: "user" | "assistant" | "system";
  content: string;
  at: string;
}
export const CallMessageSchema = Type.Unsafe<CallMessage>(
  Type.Object({ role: Type.String(), content: Type.String(), at: Type.Optional(Type.String()) }),
);

/** A call as the API returns it (api-v1 §2.8, plus local additions). */
export const Call = Type.Object(
  {
    id: Type.String(),
    status: StringEnum(CALL_STATUSES),
    direction: StringEnum(CALL_DIRECTIONS),
    caller_phone: Nullable(Type.String()),
    assistant_phone: Nullable(Type.String()),
    agent_phone: Nullable(Type.String({ description: "same as assistant_phone (older docs' name)" })),
    agent_id: Nullable(Type.String()),
    number_id: Nullable(Type.String()),
    agent_name: Nullable(Type.String()),
    assistant_name: Nullable(Type.String()),
    business_name: Nullable(Type.String()),
    phone_number: Nullable(Type.String()),
    end_reason: Nullable(Type.String()),
    error: Nullable(Type.String()),
    ringing_at: Nullable(
      Type.String({
        description:
          "Local addition: when the far end started ringing (an outbound call's 180/183); `status` stays `connecting` until it answers",
      }),
    ),
    started_at: Nullable(Type.String()),
    ended_at: Nullable(Type.String()),
    duration_seconds: Nullable(Type.Integer()),
    summary: Nullable(Type.String()),
    analysis_result: Nullable(FreeObject()),
    messages: Type.Array(CallMessageSchema),
    room_name: Nullable(Type.String()),
    recording_url: Nullable(Type.String()),
    destination: Nullable(Type.String({ description: "Local addition: the dialled destination of outbound calls" })),
    metadata: Nullable(FreeObject()),
    metrics: Nullable(FreeObject({ description: "Local addition: per-turn latency metrics" })),
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
  },
  { $id: "Call", additionalProperties: false },
);

export type CallRecord = Static<typeof Call>;

/**
 * How a call for a person can end without anyone answering it: nobody could (no console open:
 * `unavailable`), the person declined, nobody answered in the ring time, the caller gave up while it rang, or
 * do-not-disturb refused it.
 */
export const MISSED_END_REASONS = ["unavailable", "declined", "no_answer", "user_hangup", "do_not_disturb"] as const;

/** A missed call (local addition): inbound, for a person (no assistant), and never answered. */
export function isMissedCall(c: Pick<CallRecord, "direction" | "agent_id" | "started_at" | "end_reason">): boolean {
  return (
    c.direction === "inbound" &&
    c.agent_id === null &&
    c.started_at === null &&
    (MISSED_END_REASONS as readonly (string | null)[]).includes(c.end_reason)
  );
}

/**
 * The events stream's `call.hold` (local addition): a hold took effect on a call — ours once the far end
 * answered our re-INVITE, or the far end's when it put us on hold.
 */
export interface CallHoldEvent {
  type: "call.hold";
  call_id: string;
  on_hold: boolean;
  by: "us" | "peer";
}

/**
 * The events stream's `call.owner` (local addition): who has a live call changed — a person took it from its
 * assistant (`taken_over`), or gave it back (`handed_back`). Also kept in the call's log under those names.
 */
export interface CallOwnerEvent {
  type: "call.owner";
  call_id: string;
  owner: "assistant" | "person";
  change: "taken_over" | "handed_back" | "answered_by_person";
}

/**
 * The events stream's `call.coach` (local addition): a console (`session`, the last part of its audio
 * session's Location) began or stopped whispering to the person who talks on the call. `on: false` comes
 * when the person's console left (`talker_left`), the call was handed back to its assistant (`handed_back`)
 * or another console took the call (`talker_changed`): the coach then only listens.
 */
export interface CallCoachEvent {
  type: "call.coach";
  call_id: string;
  session: string;
  on: boolean;
  reason: "joined" | "talker_left" | "handed_back" | "talker_changed";
}

/**
 * The events stream's `call.turn` (local addition): one assistant reply's latency as the caller heard it,
 * once its first audio left (the call's log keeps every figure of the turn under `turn`).
 */
export interface CallTurnEvent {
  type: "call.turn";
  call_id: string;
  turn: number;
  /** End of the caller's speech → the first packet of the reply; null when no audio was sent. */
  voice_to_voice_ms: number | null;
  /** The recognizer's own time: end of speech → it had the whole text. */
  recognizer_ms: number;
  llm_first_token_ms: number | null;
  tts_first_audio_ms: number | null;
  interrupted: boolean;
}

/**
 * The events stream's `call.partial` (local addition): what the recognizer has so far of a line still being
 * spoken — the caller's (`role: "user"`) or, during a takeover, the person's (`role: "assistant"`, `speaker:
 * "operator"`). For display only: the line that is stored, answered and sent to webhooks is the final one, a
 * `call.message` with the same `turn`, which supersedes every partial of that speaker up to its `turn`.
 * `text` is the whole line so far, not a delta; an empty `text` takes the partial back (the speech made no
 * line). `turn` counts that speaker's lines in the call (1 = their first), unlike `call.turn`'s reply count.
 */
export interface CallPartialEvent {
  type: "call.partial";
  call_id: string;
  role: "user" | "assistant";
  speaker?: "operator";
  text: string;
  turn: number;
}

/** Where a transcript line came from when it was not the conversation itself: a control `say` (scripted). */
export type CallMessageOrigin = "say";
