// Request and response schemas of /assistants: the domain's own (domain/assistant.ts).
export {
  Assistant,
  AssistantCreate,
  AssistantInline,
  AssistantUpdate,
  LLM_PROVIDERS,
  STT_PROVIDERS,
  TTS_PROVIDERS,
  WEBHOOK_EVENTS,
} from "../../domain/assistant.js";
