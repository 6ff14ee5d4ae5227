import type { ChatMessage } from "../providers/llm/types.js";
import { normaliseTools, type ToolSpec } from "./tools.js";

export interface TurnTaking {
  endpointingMinMs: number;
  endpointingMaxMs: number;
  interruptionMinMs: number;
  interruptionMinWords: number;
  /** null: an interruption is never undone. */
  falseInterruptionMs: number | null;
}

export interface SilencePlan {
  messages: string[];
  finalMessage: string;
  firstCheckMs: number;
  intervalMs: number;
  maxAttempts: number;
}

/** What the pipeline needs from a resolved assistant, with every default applied (api-v1 §2.6, features §1). */
export interface VoiceAssistant {
  systemMessages: ChatMessage[];
  /**
   * The conversation before this session, after the system messages: set when a person hands a call
   * back (calls/live-call.ts), so the model goes on from what was said instead of starting over.
   */
  earlier?: ChatMessage[];
  firstMessage: string | null;
  temperature: number;
  maxTokens?: number;
  tools: ToolSpec[];
  turnTaking: TurnTaking;
  silence: SilencePlan | null;
  maxDurationMs: number | null;
  endCallMessage: string | null;
  pronunciation: { from: string; to: string }[];
  language: string;
  keyterms: string[];
  /** Voicemail detection (outbound only, features.md §2): the message to leave, null to hang up at once. */
  voicemail: { message: string | null } | null;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);

export const DEFAULT_SILENCE_MESSAGES = [
  "Are you still there?",
  "I'm still here if you need me.",
  "Hello? Can you hear me?",
];
export const DEFAULT_SILENCE_FINAL = "I haven't heard from you, so I'll end the call now. Goodbye!";

export function voiceAssistant(a: Record<string, unknown>, direction: "inbound" | "outbound" | "web"): VoiceAssistant {
  const llm = obj(a.llm_config);
  const stt = obj(a.stt_config);
  const speech = obj(a.speech_config);
  const tt = obj(speech.turn_taking);
  const minDelay = num(tt.endpointing_min_delay, 0.4);
  const silence = obj(speech.silence);
  const messages = Array.isArray(llm.messages) ? (llm.messages as ChatMessage[]) : [];
  const autonomous = a.autonomous_silence_handling === true;
  const tools = normaliseTools(Array.isArray(llm.tools) ? llm.tools : []);
  // features.md §1: silence handling adds end_call so the model can hang up.
  if (autonomous && !tools.some((t) => t.kind === "end_call")) tools.push(...normaliseTools([{ type: "end_call" }]));
  return {
    systemMessages: messages.filter((m) => m && typeof m.content === "string"),
    firstMessage: (direction === "outbound" ? str(speech.first_message_outbound) : null) ?? str(a.first_message),
    temperature: num(llm.temperature, 0.7),
    maxTokens: typeof llm.max_completion_tokens === "number" ? llm.max_completion_tokens : undefined,
    tools,
    turnTaking: {
      endpointingMinMs: minDelay * 1000,
      endpointingMaxMs: Math.max(minDelay, num(tt.endpointing_max_delay, 2)) * 1000,
      interruptionMinMs: num(tt.interruption_min_duration, 0.3) * 1000,
      interruptionMinWords: num(tt.interruption_min_words, 0),
      falseInterruptionMs:
        tt.false_interruption_timeout === null ? null : num(tt.false_interruption_timeout, 1.5) * 1000,
    },
    silence: autonomous
      ? {
          messages:
            Array.isArray(silence.messages) && silence.messages.length
              ? silence.messages.map(String)
              : DEFAULT_SILENCE_MESSAGES,
          finalMessage: str(silence.final_message) ?? DEFAULT_SILENCE_FINAL,
          firstCheckMs: num(silence.first_check_seconds, 3) * 1000,
          intervalMs: num(silence.interval_seconds, 12) * 1000,
          maxAttempts: num(silence.max_attempts, 3),
        }
      : null,
    maxDurationMs: typeof a.max_duration_seconds === "number" ? a.max_duration_seconds * 1000 : null,
    endCallMessage: str(speech.end_call_message),
    pronunciation: Array.isArray(speech.pronunciation) ? (speech.pronunciation as { from: string; to: string }[]) : [],
    language: str(stt.language) ?? "en",
    keyterms: Array.isArray(stt.keyterms) ? stt.keyterms.map(String) : [],
    voicemail:
      direction === "outbound" && a.voicemail_detection === true ? { message: str(a.voicemail_message) } : null,
  };
}
