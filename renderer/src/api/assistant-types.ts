// Shapes of the Assistants page's API answers (type-only: unit tests read them without the DOM).

export interface ToolDef {
  type?: string;
  name?: string;
  description?: string;
  url?: string;
  parameters?: Record<string, unknown>;
  destinations?: { number?: string; description?: string; message?: string }[];
  [k: string]: unknown;
}

export interface AssistantConfig {
  name: string;
  first_message?: string | null;
  is_active?: boolean;
  max_duration_seconds?: number | null;
  silence_timeout_seconds?: number;
  autonomous_silence_handling?: boolean;
  voicemail_detection?: boolean | null;
  voicemail_message?: string | null;
  recording_enabled?: boolean;
  recording_consent?: { enabled: boolean; message: string } | null;
  webhook_url?: string | null;
  /** Write-only: the engine answers `********` when one is saved. */
  webhook_secret?: string | null;
  webhook_events?: string[] | null;
  stt_config?: { provider: string; model?: string; language?: string; [k: string]: unknown } | null;
  llm_config?: {
    provider: string;
    model: string;
    base_url?: string;
    temperature?: number;
    messages?: { role: "system" | "user" | "assistant"; content: string }[];
    tools?: ToolDef[];
    [k: string]: unknown;
  };
  tts_config?: { provider: string; voice_id: string; language?: string; [k: string]: unknown } | null;
  speech_config?: SpeechConfig | null;
  analysis_plan?: AnalysisPlan | null;
  [k: string]: unknown;
}

export interface SpeechConfig {
  turn_taking?: {
    endpointing_min_delay?: number;
    endpointing_max_delay?: number;
    interruption_min_duration?: number;
    interruption_min_words?: number;
    false_interruption_timeout?: number | null;
  };
  silence?: {
    messages?: string[];
    final_message?: string;
    first_check_seconds?: number;
    interval_seconds?: number;
    max_attempts?: number;
  };
  end_call_message?: string;
  [k: string]: unknown;
}

export interface AnalysisPlan {
  structured_data_plan?: {
    enabled?: boolean;
    schema?: Record<string, unknown>;
    messages?: { role: "system" | "user" | "assistant"; content: string }[];
    [k: string]: unknown;
  };
  min_messages_threshold?: number;
  [k: string]: unknown;
}

export interface Assistant extends AssistantConfig {
  id: string;
  created_at: string;
  updated_at: string;
}

export interface AssistantTemplate {
  id: string;
  name: string;
  description: string;
  language: string;
  assistant: AssistantConfig;
  required_models: string[];
}

export interface ProviderCheck {
  provider: string | null;
  ok: boolean;
  detail: string;
}
export interface AssistantChecks {
  ok: boolean;
  stt: ProviderCheck;
  llm: ProviderCheck;
  tts: ProviderCheck;
}

export interface Voice {
  id: string;
  name: string;
  language: string;
  description: { en: string };
  engine: string;
  local: boolean;
  installed: boolean;
}

export interface ToolTemplate {
  id: string;
  name: string;
  description: string | null;
  tool_type: string;
  tool_config: Record<string, unknown>;
}
