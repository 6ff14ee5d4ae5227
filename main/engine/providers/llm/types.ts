/** Chat messages in the OpenAI shape, which every supported provider accepts or is mapped from. */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }
  | { role: "tool"; content: string; tool_call_id: string };

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A function the model may call (already normalised from the assistant's tool definitions). */
export interface LlmTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type LlmChunk = { type: "text"; text: string } | { type: "tool_call"; call: ToolCall };

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: LlmTool[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a JSON object reply (post-call analysis). */
  json?: boolean;
  signal: AbortSignal;
}

/** A chat model: `stream` for live turns (text deltas as they come; tool calls once complete). */
export interface LanguageModel {
  readonly provider: string;
  readonly model: string;
  readonly local: boolean;
  stream(request: LlmRequest): AsyncIterable<LlmChunk>;
  /** The model ids the server offers (`GET /models`), for the assistant check; absent when a vendor has no such list. */
  listModels?(signal: AbortSignal): Promise<string[]>;
}
