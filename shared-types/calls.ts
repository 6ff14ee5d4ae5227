// The Call object of the v1 API for the console (type-only): derived from the engine's one schema
// (main/engine/domain/call.ts), so the two cannot drift apart.
export { CALL_STATUSES, isMissedCall } from "../main/engine/domain/call.js";
export type {
  CallCoachEvent,
  CallDirection,
  CallHoldEvent,
  CallMessage,
  CallMessageOrigin,
  CallOwnerEvent,
  CallPartialEvent,
  CallRecord,
  CallStatus,
  CallTurnEvent,
} from "../main/engine/domain/call.js";
