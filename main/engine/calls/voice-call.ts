import type { Store } from "../store/index.js";
import type { EventBus } from "../events/bus.js";
import type { WebhookService } from "../webhooks/service.js";
import type { CallManager } from "./call-manager.js";
import type { CallLeg, ControlCommand } from "./control.js";
import { createLlm, createStt, createTts, ProviderError, type ProviderContext } from "../providers/index.js";
import "../providers/register.js";
import { FliteTts } from "../providers/tts/flite.js";
import { VoicePipeline, type EndReason, type PipelineHost, type TurnMetrics } from "../voice/pipeline.js";
import { voiceAssistant } from "../voice/assistant-config.js";
import type { ToolSpec } from "../voice/tools.js";
import { envelope } from "../webhooks/payloads.js";
import { requestWebhook, toolResult } from "../webhooks/request.js";
import { isFinal } from "./call-state.js";
import { conflict, notImplemented } from "../errors.js";
import { resample } from "../media/resample.js";
import { openCredential } from "../store/credentials.js";
import { DEFAULT_STT_CONFIG, DEFAULT_TTS_CONFIG } from "../assistants/speech-defaults.js";
import { checkDestination, destinationRefusal } from "./destination-policy.js";

export interface VoiceCallOptions {
  modelsDir: string;
  /** Deadline for a synchronous tool webhook (webhooks.md §7: 10 s). */
  toolTimeoutMs?: number;
}

/** Local-first defaults when an assistant names an LLM but no speech providers (docs/decisions.md). */

const MISCONFIGURED_LINE = "I'm sorry, this line is not set up correctly yet. Please try again later. Goodbye.";

/** Keys for providers, straight from the sealed BYOK table; nothing else of the store is exposed. */
export const providerContext = (store: Store, modelsDir: string): ProviderContext => ({
  keys: { apiKey: (p) => store.byok.apiKey(p), config: (p) => store.byok.configs()[p] ?? {} },
  modelsDir,
});

/**
 * Runs the assistant on every answered call: builds the providers from the call's resolved assistant,
 * starts a VoicePipeline on the leg's audio, and turns what the pipeline decides into call-row changes,
 * SIP actions and webhooks. Also the live-call handle for the control API.
 */
export class VoiceCalls {
  private readonly active = new Map<string, { pipeline: VoicePipeline; leg: CallLeg; metrics: TurnMetrics[] }>();

  constructor(private readonly store: Store, private readonly bus: EventBus, private readonly calls: CallManager,
    private readonly webhooks: WebhookService, private readonly opts: VoiceCallOptions) {
    bus.subscribe((e) => { if (e.type === "call.ended") this.ended(e.call.id); });
  }

  private readonly rejections = new Map<string, string>();

  /** The `assistant-request` webhook refused the call: on answer, say its text and hang up. */
  rejectOnAnswer(callId: string, text: string): void { this.rejections.set(callId, text); }

  /** Whether the assistant pipeline runs on this call now. */
  speaks(callId: string): boolean { return this.active.has(callId); }

  /** Whether an answered call needs this class: an assistant with a model, or a refusal to speak. */
  wants(callId: string): boolean {
    return this.rejections.has(callId) || Boolean(this.store.calls.assistantConfig(callId)?.llm_config);
  }

  start(callId: string, leg: CallLeg): void {
    const rejection = this.rejections.get(callId);
    if (rejection !== undefined) {
      this.rejections.delete(callId);
      void this.speakAndEnd(callId, leg, new FliteTts("flite-slt"), rejection, "ended", { end_reason: "rejected" });
      return;
    }
    const call = this.calls.get(callId);
    const config = this.store.calls.assistantConfig(callId);
    if (!call || !config) return;
    const ctx = providerContext(this.store, this.opts.modelsDir);
    const fallbackTts = new FliteTts("flite-kal");
    let providers;
    try {
      providers = {
        stt: createStt((config.stt_config ?? DEFAULT_STT_CONFIG) as Record<string, unknown>, ctx),
        llm: createLlm(config.llm_config as Record<string, unknown>, ctx),
        tts: createTts((config.tts_config ?? DEFAULT_TTS_CONFIG) as Record<string, unknown>, ctx),
      };
    } catch (err) {
      // A call that cannot run (no key, unknown provider): tell the caller, then fail with the reason.
      const message = err instanceof ProviderError ? err.message : (err as Error).message;
      this.calls.problem(callId, message);
      void this.speakAndEnd(callId, leg, fallbackTts, MISCONFIGURED_LINE, "failed", { end_reason: "pipeline_error", error: message });
      return;
    }
    const metrics: TurnMetrics[] = [];
    const pipeline = new VoicePipeline({
      audio: leg.audio, ...providers, fallbackTts, assistant: voiceAssistant(config, call.direction), host: this.host(callId, leg, metrics),
    });
    this.active.set(callId, { pipeline, leg, metrics });
    this.calls.attach(callId, { control: (command) => this.control(callId, command) });
    pipeline.start();
  }

  /** Says one line with a built-in voice, then ends the call (refusals and calls that cannot run). */
  private async speakAndEnd(callId: string, leg: CallLeg, voice: FliteTts, text: string, status: "ended" | "failed", patch: { end_reason: string; error?: string }): Promise<void> {
    try {
      let end = leg.audio.playedSamples;
      for await (const pcm of voice.synthesize({ text, signal: AbortSignal.timeout(5000) })) {
        const out = await resample(pcm, voice.sampleRateHz, 8000);
        leg.audio.play(out);
        end += out.length;
      }
      this.calls.addMessage(callId, "assistant", text);
      await Promise.race([leg.audio.whenPlayed(end), new Promise((r) => setTimeout(r, 20_000))]);
    } catch { /* ending the call is what matters */ }
    this.endLeg(callId, leg, status, patch);
  }

  private host(callId: string, leg: CallLeg, metrics: TurnMetrics[]): PipelineHost {
    return {
      message: (role, content) => { this.calls.addMessage(callId, role, content); },
      hangup: (reason: EndReason) => this.endLeg(callId, leg, "ended", { end_reason: reason }),
      fail: (error) => this.endLeg(callId, leg, "failed", { end_reason: "pipeline_error", error }),
      transfer: async (destination) => {
        // Every transfer leg, the model's and the operator's, passes the destination allow-list.
        const refused = destinationRefusal(this.store, destination);
        if (refused) { this.calls.problem(callId, `Transfer refused: ${refused}`); return false; }
        const ok = await leg.transfer(destination).catch(() => false);
        this.store.calls.addEvent(callId, "transfer", { destination, ok });
        return ok;
      },
      toolCall: (call, tool) => this.toolCall(callId, call, tool),
      sendDtmf: (digits) => leg.sendDtmf(digits),
      turnMetrics: (m) => { metrics.push(m); this.store.calls.addEvent(callId, "turn", { ...m }); },
      problem: (message) => { this.calls.problem(callId, message); },
      interruption: (heard) => { this.store.calls.addEvent(callId, "interruption", { heard }); },
    };
  }

  /** Commits the end first (so the reason is ours, not "user_hangup" from the BYO), then hangs up. */
  private endLeg(callId: string, leg: CallLeg, status: "ended" | "failed", patch: { end_reason: string; error?: string }): void {
    const current = this.calls.get(callId);
    if (current && !isFinal(current.status)) this.calls.transition(callId, status, patch);
    void leg.hangup().catch(() => undefined);
  }

  private async toolCall(callId: string, call: { id: string; name: string; arguments: Record<string, unknown> }, tool: Extract<ToolSpec, { kind: "webhook" }>): Promise<string> {
    const record = this.calls.get(callId)!;
    const assistant = this.store.calls.assistantConfig(callId) ?? {};
    const url = tool.url ?? (typeof assistant.webhook_url === "string" ? assistant.webhook_url : null);
    if (!url) throw new Error(`tool '${call.name}' has no url and the assistant has no webhook_url`);
    const secretEnc = typeof assistant.webhook_secret_enc === "string" ? assistant.webhook_secret_enc : null;
    const secret = tool.secret ? openCredential(this.store.box, tool.secret) : secretEnc ? this.store.box.open(secretEnc) : null;
    const body = { message: { ...envelope("tool-calls", record, this.webhooks.numberInfo(record), assistant),
      tool_call_list: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }] } };
    this.store.calls.addEvent(callId, "tool_call", { name: call.name, async: tool.async });
    if (tool.async) {
      // Fire and forget (webhooks.md §7): the model continues with the tool's own message.
      void requestWebhook({ url, event: "tool-calls", body, secret, timeoutMs: this.opts.toolTimeoutMs ?? 10_000 }).catch((err: Error) => {
        this.calls.problem(callId, `Async tool '${call.name}': ${err.message}`);
      });
      return JSON.stringify({ status: "started", message: tool.message ?? "The task was started." });
    }
    const answer = await requestWebhook({ url, event: "tool-calls", body, secret, timeoutMs: this.opts.toolTimeoutMs ?? 10_000 });
    return toolResult(answer, call.id);
  }

  private async control(callId: string, command: ControlCommand): Promise<void> {
    const live = this.active.get(callId);
    if (!live) throw conflict(`Call '${callId}' has no running assistant`, "call_not_live");
    const p = live.pipeline;
    // Acknowledged once accepted; what follows (speech, hang-up) shows in the transcript and events.
    switch (command.type) {
      case "inject-context": p.injectContext(command.content, command.trigger_response); break;
      case "say": void p.sayCommand(command.content, command.end_after); break;
      case "end-call": void p.endCall(command.message ?? null, "assistant_hangup"); break;
      case "transfer": checkDestination(this.store, command.destination); void p.transfer(command.destination, command.message ?? null).then((ok) => {
        if (!ok) this.calls.problem(callId, `Transfer to ${command.destination} failed; the call continues`);
      }); break;
    }
  }

  /**
   * A person takes the call from the assistant: the pipeline stops at once (queued speech dropped, the
   * model's stream cancelled) and the call stays up for the person, whose only command is ending it.
   */
  takeOver(callId: string): void {
    const live = this.active.get(callId);
    if (!live) throw conflict(`Call '${callId}' has no running assistant to take over`, "call_not_live");
    live.pipeline.close();
    live.leg.audio.flush();
    this.active.delete(callId);
    this.takenOver.set(callId, { leg: live.leg, metrics: live.metrics });
    this.store.calls.addEvent(callId, "taken_over", {});
    this.calls.attach(callId, {
      control: async (command) => {
        if (command.type !== "end-call") throw notImplemented(`'${command.type}' needs the assistant, and a person has taken over this call`);
        this.endLeg(callId, live.leg, "ended", { end_reason: "operator_hangup" });
      },
    });
  }

  private readonly takenOver = new Map<string, { leg: CallLeg; metrics: TurnMetrics[] }>();

  /** Turn metrics of a call still running or just ended (for the report). */
  metricsOf(callId: string): TurnMetrics[] { return this.active.get(callId)?.metrics ?? []; }

  private ended(callId: string): void {
    const taken = this.takenOver.get(callId);
    if (taken) {
      this.takenOver.delete(callId);
      taken.leg.audio.close();
      this.lastMetrics.set(callId, taken.metrics);
    }
    const live = this.active.get(callId);
    if (!live) return;
    live.pipeline.close();
    live.leg.audio.close();
    this.active.delete(callId);
    this.lastMetrics.set(callId, live.metrics);
  }

  /** Metrics of ended calls until the post-call report has taken them. */
  readonly lastMetrics = new Map<string, TurnMetrics[]>();

  get size(): number { return this.active.size; }
}
