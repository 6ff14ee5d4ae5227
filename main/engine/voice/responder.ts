import type { ChatMessage, LanguageModel, ToolCall } from "../providers/llm/types.js";
import type { CallAudio } from "../media/call-audio.js";
import type { VoiceAssistant } from "./assistant-config.js";
import { SentenceChunker } from "./sentences.js";
import { transferTarget } from "./tools.js";
import { Reply } from "./reply.js";
import type { FirstAudio, Speaker } from "./speaker.js";
import { TurnMeter, type TurnMetrics, type TurnTiming } from "./metrics.js";
import type { PipelineHost } from "./host.js";

const MAX_TOOL_ROUNDS = 4;
/** A reply's first clause is spoken on its own once it has this many words ("Sure, I can help," not "Sure,"). */
const FIRST_CLAUSE_WORDS = 2;

/** What the model's tools asked for once the reply has been heard; "dropped": the turn went on. */
type AfterReply = { hangup: boolean; transferTo: string | null } | "dropped";

export const FALLBACK = {
  stt: "Sorry, I didn't catch that. Could you say it again?",
  llm: "I'm sorry, I'm having trouble answering right now. Could you say that again?",
  tool: "Sorry, that is taking longer than expected.",
  fatal: "I'm sorry, I'm having technical problems and have to end the call. Please call back later. Goodbye.",
} as const;

export interface ResponderOptions {
  llm: LanguageModel;
  assistant: VoiceAssistant;
  host: PipelineHost;
  speaker: Speaker;
  audio: CallAudio;
  now: () => number;
  problem(err: unknown): void;
  /** When a turn whose speech ended at `endedAt` and said `text` is final (the turn detector's endpointing). */
  finalAt(endedAt: number, text: string, confidence?: number): number;
  /** True for the first reply after the caller interrupted the previous one. */
  takeInterrupted(): boolean;
  /** The model answered; a provider failure said the fallback `line`. */
  succeeded(): void;
  fault(line: string): Promise<void>;
  isClosed(): boolean;
  /** Ending: no new reply starts (the goodbye is on its way). */
  isEnding(): boolean;
  endCall(): Promise<void>;
  transfer(destination: string): Promise<unknown>;
}

/**
 * The conversation with the model: its history, the caller's words not yet answered, and one reply at
 * a time — the model streamed into sentences for the speaker, with up to MAX_TOOL_ROUNDS of tool calls.
 */
export class Responder {
  private readonly history: ChatMessage[];
  /** The caller's words since the last reply (several utterances when they went on talking). */
  private pendingUserText = "";

  constructor(private readonly o: ResponderOptions) {
    this.history = [...o.assistant.systemMessages, ...(o.assistant.earlier ?? [])];
  }

  get pending(): string {
    return this.pendingUserText;
  }

  /** Words of the caller's turn; answered by the next `respond`. */
  hear(text: string): void {
    this.pendingUserText = this.pendingUserText ? `${this.pendingUserText} ${text}` : text;
  }

  /** Something the assistant said, as the caller heard it. */
  record(text: string): void {
    if (!text) return;
    this.history.push({ role: "assistant", content: text });
    this.o.host.message("assistant", text);
  }

  /** `inject-context`: silent context for the model. */
  addContext(content: string): void {
    this.history.push({ role: "system", content });
    this.o.host.message("system", content);
  }

  /** Drops the reply being prepared or spoken. A preemptive one gives its words back to the turn. */
  cancel(): void {
    const speaker = this.o.speaker;
    const r = speaker.current;
    if (!r) return;
    r.abort.abort();
    r.finished = true;
    speaker.current = null;
    if (!r.committed && r.userMessage) {
      // The caller went on: their words so far join the rest of the turn, and the model never saw them.
      const i = this.history.indexOf(r.userMessage);
      if (i >= 0) this.history.splice(i, 1);
      this.pendingUserText = [r.userMessage.content, this.pendingUserText].filter(Boolean).join(" ");
    }
  }

  /** One assistant turn: after the caller's words (`t` set) or after injected context (`t` null). */
  async respond(t: TurnTiming | null, turn: number): Promise<void> {
    if (this.o.isClosed() || this.o.isEnding()) return;
    const userText = this.pendingUserText;
    if (t && !userText) return;
    this.cancel();
    const { speaker, host } = this.o;
    const reply = new Reply("llm");
    const meter = new TurnMeter(turn, t, this.o.takeInterrupted(), this.o.now);
    speaker.current = reply;
    this.pendingUserText = "";
    if (userText) {
      reply.userMessage = { role: "user", content: userText };
      this.history.push(reply.userMessage);
      if (t) {
        // Preemptive: prepared now, heard (and stored as the caller's turn) only once the turn is final.
        reply.notBefore = this.o.finalAt(t.speechEndAt, userText, t.confidence);
        reply.committed = false;
        void speaker.committed(reply).then((ok) => {
          if (!ok) return;
          reply.committed = true;
          meter.final();
          host.message("user", userText);
        });
      } else host.message("user", userText);
    }
    if (reply.committed) meter.final();
    const onFirstAudio: FirstAudio = (sample, timing) =>
      meter.firstAudio(sample, timing, this.o.audio, (m: TurnMetrics) => host.turnMetrics(m));
    let after: AfterReply;
    try {
      after = await this.toolLoop(reply, meter, onFirstAudio);
      if (after === "dropped") return;
      this.o.succeeded();
    } catch (err) {
      if (reply.aborted || this.o.isClosed()) return;
      this.o.problem(err);
      if (speaker.current === reply) speaker.current = null;
      reply.finished = true;
      await this.o.fault(FALLBACK.llm);
      return;
    }
    await speaker.finish(reply);
    if (reply.aborted || this.o.isClosed()) return;
    if (after.hangup) await this.o.endCall();
    else if (after.transferTo) await this.o.transfer(after.transferTo);
  }

  /** Streams the model into sentences and runs its tools; returns what to do once the reply was heard. */
  private async toolLoop(reply: Reply, meter: TurnMeter, onFirstAudio: FirstAudio): Promise<AfterReply> {
    const { speaker, assistant } = this.o;
    const after = { hangup: false, transferTo: null as string | null };
    for (let step = 0; step < MAX_TOOL_ROUNDS && !reply.aborted; step++) {
      const chunker = new SentenceChunker(step === 0 ? FIRST_CLAUSE_WORDS : 0);
      const calls: ToolCall[] = [];
      let text = "";
      meter.llmStarted();
      for await (const chunk of this.o.llm.stream({
        messages: this.history,
        tools: assistant.tools.map((x) => x.llm),
        temperature: assistant.temperature,
        maxTokens: assistant.maxTokens,
        signal: reply.abort.signal,
      })) {
        meter.llmChunk();
        if (chunk.type === "tool_call") {
          calls.push(chunk.call);
          continue;
        }
        text += chunk.text;
        for (const s of chunker.push(chunk.text)) speaker.queue(reply, s, onFirstAudio);
      }
      const rest = chunker.flush();
      if (rest) speaker.queue(reply, rest, onFirstAudio);
      if (!calls.length) break;
      // Tools act on the world: never for a turn that may still be dropped.
      if (!(await speaker.committed(reply))) return "dropped";
      this.history.push({ role: "assistant", content: text || null, tool_calls: calls });
      for (const call of calls) {
        const { result, hangup, transferTo } = await this.runTool(reply, call, onFirstAudio);
        if (hangup) after.hangup = true;
        if (transferTo) after.transferTo = transferTo;
        this.history.push({ role: "tool", tool_call_id: call.id, content: result });
      }
      if (after.hangup || after.transferTo) break;
    }
    return after;
  }

  private async runTool(
    reply: Reply,
    call: ToolCall,
    onFirstAudio: FirstAudio,
  ): Promise<{ result: string; hangup?: boolean; transferTo?: string }> {
    const { speaker, host } = this.o;
    const tool = this.o.assistant.tools.find((x) => x.llm.name === call.function.name);
    const args = parseArgs(call.function.arguments);
    if (!tool) return { result: JSON.stringify({ error: `Unknown tool '${call.function.name}'` }) };
    switch (tool.kind) {
      case "end_call":
        return { result: "The call will end after your goodbye.", hangup: true };
      case "dtmf": {
        const digits = typeof args.digits === "string" ? args.digits.replace(/[^0-9*#A-Da-d]/g, "").toUpperCase() : "";
        return {
          result: digits && host.sendDtmf(digits) ? `Pressed ${digits}.` : "The keys could not be sent on this line.",
        };
      }
      case "do_not_call": {
        const reason = typeof args.reason === "string" ? args.reason.slice(0, 200) : null;
        const number = host.doNotCall(reason);
        return {
          result: number
            ? `${number} is on the do-not-call list and will not be called again.`
            : "This call has no phone number to put on the do-not-call list.",
        };
      }
      case "transfer_call": {
        const target = transferTarget(tool, args.destination);
        if ("refused" in target) {
          host.problem(`The model asked for a transfer that was refused: ${target.refused}`);
          return { result: JSON.stringify({ error: `Transfer refused: ${target.refused}` }) };
        }
        if (target.message) speaker.queue(reply, target.message, onFirstAudio);
        return { result: `Transferring to ${target.number}.`, transferTo: target.number };
      }
      case "webhook": {
        if (tool.message) speaker.queue(reply, tool.message, onFirstAudio);
        const result = await host
          .toolCall({ id: call.id, name: call.function.name, arguments: args }, tool)
          .catch((err: Error) => {
            host.problem(`Tool '${call.function.name}' failed: ${err.message}`);
            speaker.queue(reply, FALLBACK.tool, onFirstAudio);
            return JSON.stringify({ error: err.message });
          });
        return { result };
      }
    }
  }
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json || "{}");
    return v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}
