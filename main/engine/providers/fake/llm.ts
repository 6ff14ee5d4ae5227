import type { ChatMessage, LanguageModel, LlmChunk, LlmRequest } from "../llm/types.js";
import { abortError, sleep } from "./sleep.js";

/** One streamed piece: a text delta, or a complete tool call. */
export type FakeLlmStep = { text: string } | { tool: string; args?: Record<string, unknown>; id?: string };

/** What the model answers to one request. */
export interface FakeLlmTurn {
  steps: FakeLlmStep[];
  /** Before the first step (the time to first token). */
  firstTokenMs?: number;
  /** Between later steps. */
  stepMs?: number;
  /** Fails after the first-token wait instead of answering. */
  error?: Error;
}

export interface FakeLlmRequest {
  /** A copy of the conversation as it was sent. */
  messages: ChatMessage[];
  tools: string[];
  signal: AbortSignal;
  /** Simulated time of the request (the clock the test gives). */
  at: number;
}

/**
 * A scripted chat model: each request takes the next turn and streams its steps with the given delays,
 * stopping (with an AbortError, as the real clients do) when the request is aborted.
 */
export class FakeLlm implements LanguageModel {
  readonly provider = "fake";
  readonly model = "scripted";
  readonly local = true;
  private readonly turns: FakeLlmTurn[];
  readonly requests: FakeLlmRequest[] = [];

  constructor(
    turns: FakeLlmTurn[] = [],
    private readonly now: () => number = () => performance.now(),
    private readonly fallback: FakeLlmTurn = { steps: [{ text: "Okay." }] },
  ) {
    this.turns = [...turns];
  }

  /** Adds answers for the requests still to come. */
  script(...turns: FakeLlmTurn[]): void {
    this.turns.push(...turns);
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    this.requests.push({
      messages: structuredClone(request.messages),
      tools: (request.tools ?? []).map((t) => t.name),
      signal: request.signal,
      at: this.now(),
    });
    const turn = this.turns.length ? this.turns.shift()! : this.fallback;
    await sleep(turn.firstTokenMs ?? 0, request.signal);
    if (turn.error) throw turn.error;
    let n = 0;
    for (const step of turn.steps) {
      if (n++ > 0 && turn.stepMs) await sleep(turn.stepMs, request.signal);
      if (request.signal.aborted) throw abortError();
      if ("text" in step) yield { type: "text", text: step.text };
      else
        yield {
          type: "tool_call",
          call: {
            id: step.id ?? `call_${this.requests.length}_${n}`,
            type: "function",
            function: { name: step.tool, arguments: JSON.stringify(step.args ?? {}) },
          },
        };
    }
  }
}

/** A turn that streams `text` word by word. */
export const words = (text: string, o: Omit<FakeLlmTurn, "steps"> = {}): FakeLlmTurn => ({
  ...o,
  steps: text.split(/(?<= )/).map((w) => ({ text: w })),
});
