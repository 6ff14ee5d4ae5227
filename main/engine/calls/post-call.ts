import type { Store } from "../store/index.js";
import type { CallManager } from "./call-manager.js";
import type { CallRecord } from "../store/calls.js";
import { createLlm, type ProviderContext } from "../providers/index.js";
import type { LanguageModel } from "../providers/llm/types.js";
import type { ResolvedAssistant } from "../domain/assistant.js";
import type { FreeJson } from "../domain/schema.js";
import type { AmdReport, TurnMetrics } from "../voice/session.js";
import { Ajv } from "ajv";

export interface PostCallOptions {
  ctx: ProviderContext;
}

const SUMMARY_PROMPT =
  "Summarize this phone call in one to three sentences for the business's records: who called, what they wanted, and the outcome. Plain text only.";
const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * After every call, whatever its outcome: the summary by the assistant's own LLM, the structured analysis of `analysis_plan`
 * validated against its schema, the metrics, then the `end-of-call-report` (webhooks.md §9). A call
 * whose LLM is unavailable still gets its report, with an empty summary and the reason in the events.
 */
export class PostCall {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly calls: CallManager,
    private readonly opts: PostCallOptions,
  ) {
    calls.on("ended", (call, live) => {
      const p = this.report(call, live?.metrics ?? null)
        .catch(() => undefined)
        .finally(() => this.running.delete(p));
      this.running.add(p);
    });
  }

  /** Lets stop() wait for reports in flight (bounded by the LLM timeouts). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** `turns`: what the assistant measured, null when no assistant carried the call. */
  private async report(ended: CallRecord, turns: TurnMetrics[] | null): Promise<void> {
    // The pipeline may still store the last words after the BYE: give it a moment.
    await new Promise((r) => setTimeout(r, 50));
    const call = this.calls.get(ended.id) ?? ended;
    const assistant = this.store.calls.assistantConfig(call.id) ?? {};
    // Calls the assistant never carried (unanswered, refused, failed before answer, declined, taken by a
    // person, recovered after a crash) still get their report: no summary, the reason in end_reason/error.
    if (!turns) {
      this.calls.finishReport(call.id, {});
      return;
    }
    const conversation = call.messages.filter((m) => m.role !== "system");
    let llm: LanguageModel | null = null;
    try {
      if (conversation.length) llm = createLlm(assistant.llm_config, this.opts.ctx);
    } catch (err) {
      this.calls.problem(call.id, `No summary: ${(err as Error).message}`);
    }
    const transcript = conversation
      .map((m) => `${m.role === "user" ? "Caller" : "Assistant"}: ${m.content}`)
      .join("\n");
    const amd = this.store.calls
      .events(call.id)
      .filter((e) => e.type === "amd")
      .at(-1)?.data as AmdReport | undefined;
    let summary = "";
    // features.md §2: the report of a voicemail says so and which message was left; no model needed for that.
    if (call.end_reason === "voicemail" && amd) summary = voicemailSummary(amd);
    else if (llm) {
      summary = await complete(
        llm,
        [
          { role: "system", content: SUMMARY_PROMPT },
          { role: "user", content: transcript },
        ],
        false,
      ).catch((err: Error) => {
        this.calls.problem(call.id, `Summary failed: ${err.message}`);
        return "";
      });
    }
    const analysis = llm ? await this.analyse(call, assistant, llm, transcript, summary) : null;
    this.calls.finishReport(call.id, {
      summary: summary.trim() || null,
      ...(analysis ? { analysis_result: analysis } : {}),
      metrics: { ...(call.metrics ?? {}), ...summarize(turns), ...(amd ? { amd: amd as unknown as FreeJson } : {}) },
    });
  }

  private async analyse(
    call: CallRecord,
    assistant: ResolvedAssistant,
    llm: LanguageModel,
    transcript: string,
    summary: string,
  ): Promise<FreeJson | null> {
    const plan = assistant.analysis_plan ?? null;
    const sdp = plan?.structured_data_plan;
    if (!sdp?.enabled || !sdp.schema) return null;
    const threshold = plan?.min_messages_threshold ?? 2;
    if (call.messages.filter((m) => m.role !== "system").length < threshold) return null;
    const schema = JSON.stringify(sdp.schema);
    const fill = (text: string) =>
      text
        .replaceAll("{{schema}}", schema)
        .replaceAll("{{transcript}}", transcript)
        .replaceAll("{{ended_reason}}", call.end_reason ?? "")
        .replaceAll("{{summary}}", summary);
    const messages = (
      sdp.messages?.length
        ? sdp.messages
        : [
            {
              role: "system",
              content:
                "Extract the data defined by this JSON schema from the phone call transcript. Answer with one JSON object that matches the schema, nothing else.\n{{schema}}",
            },
            { role: "user", content: "Transcript:\n{{transcript}}" },
          ]
    ).map((m) => ({
      role: (m.role === "assistant" ? "assistant" : m.role === "user" ? "user" : "system") as "system",
      content: fill(m.content),
    }));
    const validate = ajv.compile(sdp.schema);
    // One retry with the validation errors: models sometimes miss a required field the first time.
    for (let attempt = 0; attempt < 2; attempt++) {
      let text: string;
      try {
        text = await complete(llm, messages, true);
      } catch (err) {
        this.calls.problem(call.id, `Analysis failed: ${(err as Error).message}`);
        return null;
      }
      let value: unknown;
      try {
        value = JSON.parse(stripFence(text));
      } catch {
        value = undefined;
      }
      if (value !== undefined && validate(value)) return value as FreeJson;
      const why = value === undefined ? "the reply was not JSON" : ajv.errorsText(validate.errors);
      this.calls.problem(call.id, `Analysis did not match the schema: ${why}`);
      messages.push({
        role: "system",
        content: `Your previous answer was rejected (${why}). Answer with JSON matching the schema only.`,
      });
    }
    return null;
  }
}

async function complete(
  llm: LanguageModel,
  messages: { role: "system" | "user"; content: string }[],
  json: boolean,
): Promise<string> {
  let text = "";
  for await (const chunk of llm.stream({ messages, json, temperature: 0, signal: AbortSignal.timeout(60_000) }))
    if (chunk.type === "text") text += chunk.text;
  return text;
}

const stripFence = (s: string) =>
  s
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/```$/, "")
    .trim();

/** Per-turn figures plus p50s, stored as `metrics` on the call (local addition). */
function voicemailSummary(r: AmdReport): string {
  const how = {
    beep: "its beep",
    phrase: `the greeting's words (${(r.phrases ?? []).join(", ")})`,
    long_greeting: "a greeting longer than a person's",
    greeting_resumed: "a greeting that went on after a pause",
    short_greeting: "its greeting",
    quiet_after_greeting: "its greeting",
    timeout: "its greeting",
    screening_phrase: "its greeting",
  }[r.reason];
  const detected = `Voicemail detected after ${(r.decision_ms / 1000).toFixed(1)} s from ${how}.`;
  if (!r.message) return `${detected} No voicemail message is set, so the call was ended without leaving one.`;
  const after =
    r.cue === "beep" ? "after the beep" : r.cue === "silence" ? "after the greeting ended" : "after waiting";
  return `${detected} Left the message ${after}: "${r.message}"`;
}

function summarize(turns: TurnMetrics[]): FreeJson {
  const p50 = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => typeof x === "number").sort((a, b) => a - b);
    return v.length ? v[Math.floor((v.length - 1) / 2)] : null;
  };
  return {
    turns,
    interruptions: turns.filter((t) => t.interrupted).length,
    voice_to_voice_p50_ms: p50(turns.map((t) => t.voice_to_voice_ms)),
    overhead_p50_ms: p50(turns.map((t) => t.overhead_ms)),
  };
}
