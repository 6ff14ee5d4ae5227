import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { registerLlm, type ProviderContext } from "../index.js";
import { positive } from "../util.js";
import { ProviderError, httpError, missingKey, providerName } from "../errors.js";
import { routeKey, withheldKey } from "../key-route.js";
import type { LanguageModel, LlmChunk, LlmRequest, ToolCall } from "./types.js";

/** Providers that speak the OpenAI chat-completions wire format, with their public endpoints. */
const BASE_URLS: Record<string, string> = {
  openai: "https://api.openai.com/v1",
  mistral: "https://api.mistral.ai/v1",
  xai: "https://api.x.ai/v1",
  groq: "https://api.groq.com/openai/v1",
  google: "https://generativelanguage.googleapis.com/v1beta/openai",
};

/** Whether a base URL points at this machine (Ollama, LM Studio, llama.cpp server…). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** Time to the first streamed token before we give up and let the pipeline say its fallback line. */
const FIRST_TOKEN_TIMEOUT_MS = 10_000;

export class OpenAiCompatibleLlm implements LanguageModel {
  readonly local: boolean;
  private readonly client: OpenAI;

  constructor(
    readonly provider: string,
    readonly model: string,
    baseURL: string,
    apiKey: string,
    private readonly firstTokenTimeoutMs = FIRST_TOKEN_TIMEOUT_MS,
  ) {
    this.local = isLoopbackUrl(baseURL);
    // No SDK retries: a live caller is waiting, the pipeline decides what to say instead.
    this.client = new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 60_000 });
  }

  async *stream(req: LlmRequest): AsyncIterable<LlmChunk> {
    const firstToken = new AbortController();
    const timer = setTimeout(() => firstToken.abort(), this.firstTokenTimeoutMs);
    const signal = AbortSignal.any([req.signal, firstToken.signal]);
    const pending = new Map<number, ToolCall>();
    let started = false;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.model,
          messages: req.messages as ChatCompletionMessageParam[],
          stream: true,
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          ...(req.maxTokens !== undefined ? { max_completion_tokens: req.maxTokens } : {}),
          ...(req.tools?.length
            ? { tools: req.tools.map((t): ChatCompletionTool => ({ type: "function", function: t })) }
            : {}),
          ...(req.json ? { response_format: { type: "json_object" as const } } : {}),
        },
        { signal },
      );
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        if (!started) {
          started = true;
          clearTimeout(timer);
        }
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const text = choice.delta?.content;
        if (text) yield { type: "text", text };
        for (const tc of choice.delta?.tool_calls ?? []) {
          // Tool calls arrive in pieces keyed by index: name first, arguments streamed after.
          const call = pending.get(tc.index) ?? {
            id: tc.id ?? `call_${tc.index}`,
            type: "function" as const,
            function: { name: "", arguments: "" },
          };
          if (tc.id) call.id = tc.id;
          if (tc.function?.name) call.function.name += tc.function.name;
          if (tc.function?.arguments) call.function.arguments += tc.function.arguments;
          pending.set(tc.index, call);
        }
      }
      for (const call of pending.values()) yield { type: "tool_call", call };
    } catch (err) {
      throw this.describe(err, req.signal, firstToken.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  async listModels(signal: AbortSignal): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const m of this.client.models.list({ signal })) ids.push(m.id);
      return ids;
    } catch (err) {
      if (signal.aborted)
        throw new ProviderError(
          this.provider,
          "timeout",
          `${providerName(this.provider)} did not answer the model list in time`,
        );
      throw this.describe(err, signal, signal);
    }
  }

  private describe(err: unknown, callerSignal: AbortSignal, firstToken: AbortSignal): ProviderError {
    const name = providerName(this.provider);
    if (callerSignal.aborted) return new ProviderError(this.provider, "aborted", `${name} request cancelled`);
    if (firstToken.aborted)
      return new ProviderError(
        this.provider,
        "timeout",
        `${name} sent no reply within ${this.firstTokenTimeoutMs / 1000} s`,
      );
    if (err instanceof OpenAI.APIError && typeof err.status === "number") {
      const detail = (err.error as { message?: string } | undefined)?.message ?? "";
      return httpError(this.provider, err.status, detail);
    }
    if (err instanceof OpenAI.APIConnectionError)
      return new ProviderError(
        this.provider,
        "unavailable",
        `${name} could not be reached: ${(err.cause as Error | undefined)?.message ?? err.message}`,
      );
    return new ProviderError(
      this.provider,
      "bad_response",
      `${name} sent a reply that could not be read: ${(err as Error).message}`,
    );
  }
}

/** Reads provider, model, base_url and key; a cloud provider without a key fails now with the documented message. */
function fromConfig(config: Record<string, unknown>, ctx: ProviderContext): LanguageModel {
  const provider = String(config.provider);
  const keyProvider = provider === "openai_compatible" ? "openai_compatible" : provider;
  const saved = ctx.keys.config(keyProvider);
  // The saved key goes only to the official endpoint or the base_url saved with it (providers/key-route.ts).
  const route = routeKey(ctx.keys, keyProvider, (typeof config.base_url === "string" && config.base_url) || undefined);
  const baseUrl = route.baseUrl ?? BASE_URLS[provider];
  if (!baseUrl)
    throw new ProviderError(
      provider,
      "config",
      "An OpenAI-compatible LLM needs llm_config.base_url (for example http://127.0.0.1:11434/v1 for Ollama)",
    );
  const key = route.apiKey;
  // Local servers usually take any key, so a server on this machine gets none rather than the saved one;
  // a cloud endpoint without one would only answer 401 mid-call.
  if (!key && !isLoopbackUrl(baseUrl))
    throw route.withheld ? withheldKey(keyProvider, "llm_config", baseUrl) : missingKey(keyProvider);
  // Local addition: how long a live caller waits for the first token (llm_config, else the saved provider config).
  const timeout = positive(config.first_token_timeout_ms) ?? positive(saved.first_token_timeout_ms);
  return new OpenAiCompatibleLlm(provider, String(config.model ?? ""), baseUrl, key ?? "local", timeout);
}

for (const p of ["openai", "mistral", "xai", "groq", "google", "openai_compatible"]) registerLlm(p, fromConfig);
