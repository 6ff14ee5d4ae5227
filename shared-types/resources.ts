// Assistants, phone numbers and SIP trunks as the v1 API returns them, for the console (type-only): derived
// from the engine's one schema of each (main/engine/domain/), so the console cannot drift from the API.
export type {
  AssistantRecord,
  LlmConfigT as LlmConfig,
  SttConfigT as SttConfig,
  TtsConfigT as TtsConfig,
} from "../main/engine/domain/assistant.js";
export type { PhoneNumberView as PhoneNumber } from "../main/engine/domain/number.js";
export type {
  RegistrationView as TrunkRegistration,
  SipLogEntryView as SipLogEntry,
  SipLogView as SipLog,
  SipTrunkView as SipTrunk,
} from "../main/engine/domain/trunk.js";
