// Over 310 lines because it is the one home of a live call's moving parts (leg, assistant session, owner,
// ringing, controls, hold and digits, takeover and hand-back): each rule lives in its own module, and what
// stays here is which of them holds the call at a time, which every control must see the same way.
import type { Store } from "../store/index.js";
import type { WebhookService } from "../webhooks/service.js";
import type { ProviderContext } from "../providers/index.js";
import type { CallAudio } from "../media/call-audio.js";
import type { RtpSession } from "../media/rtp-session.js";
import type { VoiceSession, PipelineHost, TurnMetrics } from "../voice/session.js";
import type { CallManager } from "./call-manager.js";
import type { CallController, CallLeg, ControlCommand, TransferOutcome } from "./control.js";
import { isFinal } from "./call-state.js";
import { conflict, invalid, notImplemented } from "../domain/errors.js";
import { checkDestination, destinationRefusal } from "./destination-policy.js";
import { launchAssistant, MISCONFIGURED, speakLine } from "./assistant-session.js";
import { callToolWebhook } from "./tool-webhook.js";
import { requestAssistant } from "./assistant-request.js";
import { TakeoverScribe, type TakeoverLine } from "./takeover-scribe.js";
import { PartialLines } from "./partial-lines.js";
import { chatHistory, handbackSummary } from "./handback-summary.js";
import { createStt } from "../providers/index.js";
import { DEFAULT_STT_CONFIG } from "../domain/speech-defaults.js";
import type { ChatMessage } from "../providers/llm/types.js";

/** What a live call needs of the engine. */
export interface LiveCallDeps {
  store: Store;
  calls: CallManager;
  webhooks: WebhookService;
  providers: ProviderContext;
  /** Deadline for a synchronous tool webhook (webhooks.md §7: 10 s). */
  toolTimeoutMs: number;
}

/** How a call that rang the consoles stopped ringing. */
export type RingOutcome = "answered" | "declined" | "timeout" | "cancelled";

/** Who has the call: its assistant, a person (who answered at the console or took it over), or nobody yet. */
export type CallOwner = "assistant" | "person" | "nobody";

type Ending = { end_reason: string; error?: string };

/**
 * One call in progress, from its row's creation until it ends: the home of everything about it that is
 * not on disk. It holds the media leg telephony hands over, the assistant's voice session, who owns the
 * call, its console ringing, and its controls (say, inject, end, transfer, take-over). Its row changes go
 * through the call manager, which holds one of these per live call.
 */
export class LiveCall {
  private leg: CallLeg | null = null;
  private voice: VoiceSession | null = null;
  private controller: CallController | null = null;
  private refusal: string | null = null;
  private ringing: ((outcome: RingOutcome) => void) | null = null;
  /** A person (or the assistant) ended the call from our side: the hang-up is ours, not the caller's. */
  hungUpByUs = false;
  /** Turn figures while an assistant carries (or carried) the call; null when none ever did. */
  metrics: TurnMetrics[] | null = null;
  owner: CallOwner = "nobody";
  /** A person answered at the console: the assistant does not start on answer (see answerAsPerson). */
  private personFirst = false;
  /** Set while a person has the call they took from its assistant (Date.now of the takeover): it can be handed back. */
  private takenOverAt: number | null = null;
  /** Writes down both sides while the person has the call; null when none runs (or its recognizer could not start). */
  private scribe: TakeoverScribe | null = null;
  private untapCaller: (() => void) | null = null;
  /** The conversation of earlier assistant sessions and hand-backs, for the next session's model. */
  private conversation: ChatMessage[] = [];
  /** Stored transcript lines before the current assistant session began (its own lines come after). */
  private sessionFrom = 0;
  /** Texts of control `say` commands not yet spoken: their lines are marked as scripted on the stream. */
  private sayQueue: string[] = [];
  /** The caller's and the person's lines in progress (`call.partial`), numbered against their final lines. */
  private readonly partials: PartialLines;

  constructor(
    readonly id: string,
    private readonly deps: LiveCallDeps,
  ) {
    this.partials = new PartialLines((line) => deps.calls.partial(id, line));
  }

  /**
   * Before an inbound call is answered: the `assistant-request` webhook may choose or change the assistant,
   * or refuse the call (then its text is said on answer, and the call ends).
   */
  async askWebhookForAssistant(): Promise<void> {
    const { store, calls, webhooks } = this.deps;
    const call = calls.get(this.id);
    const saved = store.calls.assistantConfig(this.id);
    if (!call || !saved) return;
    const d = await requestAssistant(store, webhooks, call, saved);
    if (d.problem) calls.problem(this.id, d.problem);
    if (d.assistant !== saved) {
      const chosen = d.assistantId ? store.assistants.get(d.assistantId) : undefined;
      store.calls.setAssistantConfig(this.id, d.assistant, chosen ? { id: chosen.id, name: chosen.name } : undefined);
    }
    if (d.reject !== undefined) this.refusal = d.reject;
  }

  /** Whether an answer is in (media flows). */
  get answered(): boolean {
    return this.leg !== null;
  }

  /** Whether the assistant speaks on this call now. */
  get assistantSpeaks(): boolean {
    return this.voice !== null;
  }

  /** The call is answered (by us, or the far end answered ours) and this is its leg; then `startAssistant`. */
  answer(leg: CallLeg): void {
    this.connect(leg);
    this.startAssistant();
  }

  /** The leg is up; until an assistant runs, the one command is ending the call. */
  connect(leg: CallLeg): void {
    this.leg = leg;
    this.controller ??= this.personController(
      this.deps.store.calls.assistantConfig(this.id) ? "its assistant has no llm_config" : null,
    );
  }

  /**
   * A person answers at the console a call its assistant could have taken (ring me, then AI): once the call is
   * up it is theirs, as after a takeover — written down, and theirs to hand to the assistant.
   */
  answerAsPerson(): void {
    this.personFirst = true;
  }

  /** The assistant starts on the leg's audio when it has a model, a refusal is spoken, and otherwise the call is a person's. */
  startAssistant(): void {
    const leg = this.leg;
    if (!leg) return;
    if (this.personFirst) {
      this.owner = "person";
      this.takenOverAt = Date.now();
      this.listenAlong(leg);
      this.deps.calls.ownerChanged(this.id, "answered_by_person");
      this.controller = this.personController(null);
      return;
    }
    const { store } = this.deps;
    const config = store.calls.assistantConfig(this.id);
    if (this.refusal !== null) {
      const text = this.refusal;
      void speakLine(leg, "flite-slt", text, () => this.deps.calls.addMessage(this.id, "assistant", text)).then(() =>
        this.end("ended", { end_reason: "rejected" }),
      );
      return;
    }
    const call = this.deps.calls.get(this.id);
    // Assistants without an llm_config run no AI: the call stays open for a person to take over.
    if (!config?.llm_config || !call) {
      this.owner = "person";
      return;
    }
    const metrics: TurnMetrics[] = [];
    const started = launchAssistant(config, call.direction, leg, this.deps.providers, this.host(leg, metrics));
    if (!started.ok) {
      this.deps.calls.problem(this.id, started.problem);
      void speakLine(leg, "flite-kal", MISCONFIGURED, () =>
        this.deps.calls.addMessage(this.id, "assistant", MISCONFIGURED),
      ).then(() => this.end("failed", { end_reason: "pipeline_error", error: started.problem }));
      return;
    }
    this.voice = started.session;
    this.metrics = metrics;
    this.owner = "assistant";
    this.controller = { control: (command) => this.steer(command) };
  }

  /** Control commands (api-v1 §5.4), acknowledged once accepted; what follows shows in the transcript. */
  async control(command: ControlCommand): Promise<void> {
    if (!this.controller)
      throw conflict(
        `Call '${this.id}' is in-progress but not carried by this engine (it may belong to an earlier run)`,
        "call_not_live",
      );
    await this.controller.control(command);
  }

  /** Who acts on control commands, when it is neither the assistant nor a person (an API-driven leg). */
  useController(controller: CallController): void {
    this.controller = controller;
  }

  private async steer(command: ControlCommand): Promise<void> {
    const p = this.voice;
    if (!p) throw conflict(`Call '${this.id}' has no running assistant`, "call_not_live");
    switch (command.type) {
      case "inject-context":
        p.injectContext(command.content, command.trigger_response);
        break;
      case "say":
        this.sayQueue.push(command.content);
        void p.sayCommand(command.content, command.end_after);
        break;
      case "end-call":
        void p.endCall(command.message ?? null, "assistant_hangup");
        break;
      case "transfer":
        checkDestination(this.deps.store, command.destination);
        void p.transfer(command.destination, command.message ?? null).then((ok) => {
          if (!ok) this.deps.calls.problem(this.id, `Transfer to ${command.destination} failed; the call continues`);
        });
        break;
    }
  }

  /** A person's call takes one command, ending it; `why` says why the others need an assistant. */
  private personController(whyNoAssistant: string | null): CallController {
    return {
      control: async (command) => {
        if (command.type === "transfer") return this.personTransfer(command);
        if (command.type !== "end-call") {
          throw notImplemented(
            whyNoAssistant
              ? `'${command.type}' needs the assistant, and this call runs none (${whyNoAssistant})`
              : `'${command.type}' needs an assistant, and a person handles this call`,
          );
        }
        this.hungUpByUs = true;
        await this.leg?.hangup();
      },
    };
  }

  /**
   * A person takes the call from the assistant: its voice session stops at once (queued speech dropped, the
   * model's stream cancelled) and the call stays up for the person, whose only command is ending it.
   */
  takeOver(): void {
    // One owner at a time: a second person (or a second click) does not take the call from the first.
    if (this.owner === "person")
      throw conflict(`Call '${this.id}' is already taken over by a person`, "already_taken_over");
    if (!this.voice || !this.leg)
      throw conflict(`Call '${this.id}' has no running assistant to take over`, "call_not_live");
    this.voice.close();
    this.voice = null;
    // Words the session was still hearing are not a line now: from here the scribe writes the caller down.
    this.partials.clear("caller");
    this.leg.audio.flush();
    this.sayQueue = [];
    this.owner = "person";
    this.takenOverAt = Date.now();
    // What the assistant session heard and said, for the model if the call is handed back.
    const lines = this.deps.store.calls.get(this.id)?.messages ?? [];
    this.conversation.push(...chatHistory(lines.slice(this.sessionFrom)));
    this.listenAlong(this.leg);
    this.deps.calls.ownerChanged(this.id, "taken_over");
    this.controller = {
      control: async (command) => {
        if (command.type === "transfer") return this.personTransfer(command);
        if (command.type !== "end-call")
          throw notImplemented(`'${command.type}' needs the assistant, and a person has taken over this call`);
        this.end("ended", { end_reason: "operator_hangup" });
      },
    };
  }

  /**
   * A person's blind transfer: refused at once when the destination is not allowed; otherwise acknowledged
   * and carried out on the leg (REFER, else a bridge), its outcome an event on the call, as the assistant's.
   */
  private personTransfer(command: Extract<ControlCommand, { type: "transfer" }>): void {
    // The message is spoken by an assistant's voice; a person says it themselves before transferring.
    if (command.message !== undefined)
      throw invalid(
        "body.message is spoken by the assistant: on a call a person handles, say it yourself",
        "person_call",
      );
    const leg = this.leg;
    if (!leg) throw conflict(`Call '${this.id}' is not answered on this engine`, "call_not_live");
    checkDestination(this.deps.store, command.destination);
    void leg
      .transfer(command.destination)
      .catch((err: Error) => ({ ok: false, reason: err.message }) as TransferOutcome)
      .then((outcome) => {
        this.deps.store.calls.addEvent(this.id, "transfer", {
          destination: command.destination,
          ok: outcome.ok,
          by: "person",
          ...(outcome.reason ? { reason: outcome.reason } : {}),
        });
        if (!outcome.ok)
          this.deps.calls.problem(
            this.id,
            `Transfer to ${command.destination} failed${outcome.reason ? ` (${outcome.reason})` : ""}; the call continues`,
          );
      });
  }

  /** Keypad digits a person dials on the call, sent as RFC 4733 events on its leg. */
  sendDtmf(digits: string): void {
    if (!this.leg) throw conflict(`Call '${this.id}' is not answered on this engine`, "call_not_live");
    if (!this.leg.sendDtmf(digits))
      throw conflict(
        `Call '${this.id}': the far end offered no telephone-event (RFC 4733), so it cannot receive keypad digits`,
        "no_telephone_event",
      );
  }

  /**
   * A person puts the far end on hold (or takes it off); resolves once the far end agreed. Only for a call a
   * person handles: an assistant would go on talking to someone who no longer hears it.
   */
  async hold(on: boolean): Promise<void> {
    const what = on ? "put on hold" : "taken off hold";
    if (!this.leg) throw conflict(`Call '${this.id}' is not answered on this engine`, "call_not_live");
    if (this.voice)
      throw conflict(
        `Call '${this.id}' is carried by its assistant: only a call a person handles can be ${what} (take it over first)`,
        "assistant_speaks",
      );
    if (!this.leg.hold) throw conflict(`Call '${this.id}': a web call has no phone line to hold`, "no_phone_line");
    const outcome = await this.leg.hold(on);
    if (!outcome.ok)
      throw conflict(
        `Call '${this.id}' was not ${what}: ${outcome.reason}`,
        outcome.busy ? "hold_pending" : "hold_refused",
      );
  }

  /**
   * 8 kHz frames of the person's voice on a call they took over (the console's audio socket, a WebRTC
   * track): written down for the hand-back summary. Playing them to the caller is the sender's job.
   */
  hearPerson(pcm: Int16Array): void {
    if (this.owner === "person") this.scribe?.person(pcm);
  }

  /**
   * The person gives the call back: the assistant starts again on the same leg without its greeting, with
   * the conversation so far and a summary of what was said while the person had it (the lines the scribe
   * stored). It answers at once only when the caller's words were the last (docs/decisions.md).
   */
  async handBack(): Promise<void> {
    const { store, calls } = this.deps;
    const config = store.calls.assistantConfig(this.id);
    const call = calls.get(this.id);
    const leg = this.leg;
    const since = this.takenOverAt;
    if (since === null || this.owner !== "person")
      throw conflict(
        `Call '${this.id}' has not been taken over by a person: there is nothing to hand back`,
        "not_taken_over",
      );
    if (!leg || !call || isFinal(call.status) || !config?.llm_config)
      throw conflict(`Call '${this.id}' has no assistant that could take it back`, "call_not_live");
    // From here a second hand-back is refused, and the person's audio is no longer written down.
    this.takenOverAt = null;
    const scribe = this.scribe;
    this.scribe = null;
    const lines: TakeoverLine[] = scribe ? await scribe.finish() : [];
    this.stopListening();
    this.partials.clear("caller");
    this.partials.clear("person");
    if (isFinal(calls.get(this.id)?.status ?? "ended")) throw conflict(`Call '${this.id}' ended during the hand-back`);
    const heldMs = Date.now() - since;
    this.conversation.push({ role: "system", content: handbackSummary(lines, heldMs) });
    this.sessionFrom = store.calls.get(this.id)?.messages.length ?? 0;
    const answerNow = lines.at(-1)?.speaker === "caller";
    const metrics = this.metrics ?? [];
    const started = launchAssistant(config, call.direction, leg, this.deps.providers, this.host(leg, metrics), {
      history: [...this.conversation],
      answerNow,
    });
    if (!started.ok) {
      calls.problem(this.id, started.problem);
      // The person keeps the call, and what is said from now on is written down again.
      this.takenOverAt = since;
      this.listenAlong(leg);
      throw conflict(`The assistant could not start again: ${started.problem}`, "assistant_failed");
    }
    this.voice = started.session;
    this.metrics = metrics;
    this.owner = "assistant";
    this.controller = { control: (command) => this.steer(command) };
    calls.ownerChanged(this.id, "handed_back", {
      held_seconds: Math.round(heldMs / 1000),
      lines: lines.length,
      answered_at_once: answerNow,
    });
  }

  /** Starts the scribe on the caller's audio (and the person's, through `hearPerson`); without a recognizer, says why. */
  private listenAlong(leg: CallLeg): void {
    const config = this.deps.store.calls.assistantConfig(this.id);
    let stt;
    try {
      stt = createStt(config?.stt_config ?? DEFAULT_STT_CONFIG, this.deps.providers);
    } catch (err) {
      this.deps.calls.problem(this.id, `The takeover is not transcribed: ${(err as Error).message}`);
      return;
    }
    const stored = (config?.stt_config ?? DEFAULT_STT_CONFIG) as Record<string, unknown>;
    const scribe = new TakeoverScribe({
      stt,
      language: typeof stored.language === "string" ? stored.language : "en",
      keyterms: Array.isArray(stored.keyterms) ? stored.keyterms.map(String) : [],
      // The person speaks for the business: stored on its side of the transcript (docs/decisions.md).
      line: (l) => {
        const turn = this.partials.final(l.speaker);
        if (l.speaker === "caller") this.deps.calls.addMessage(this.id, "user", l.text, undefined, turn);
        else {
          this.deps.calls.addMessage(this.id, "assistant", l.text, "operator", turn);
          this.deps.store.calls.addEvent(this.id, "operator_line", { content: l.text });
        }
      },
      partial: (speaker, text) => this.partials.update(speaker, text),
      problem: (message) => this.deps.calls.problem(this.id, message),
    });
    const tap = leg.tap();
    const off = tap.onFrame((frame) => scribe.caller(frame.data));
    this.scribe = scribe;
    this.untapCaller = () => {
      off();
      tap.close();
      stt.close?.();
    };
  }

  /** The scribe stops hearing (it may still finish its last lines), and the caller's tap closes. */
  private stopListening(): void {
    this.scribe = null;
    this.untapCaller?.();
    this.untapCaller = null;
  }

  /** Hands the caller on through the leg (REFER, else a bridge); undefined when the call is not answered here. */
  transfer(destination: string): Promise<TransferOutcome> | undefined {
    return this.leg?.transfer(destination);
  }

  /** The leg's media in the worker (where consoles join over WebRTC), or null before it is answered. */
  get media(): RtpSession | null {
    return this.leg?.media ?? null;
  }

  /** The call's audio for a listener (the console), or null before it is answered. */
  listen(): CallAudio | null {
    return this.leg?.tap() ?? null;
  }

  /** Commits the end first (so the reason is ours, not "user_hangup" from the BYE), then hangs up. */
  end(status: "ended" | "failed", patch: Ending): void {
    const current = this.deps.calls.get(this.id);
    if (current && !isFinal(current.status)) this.deps.calls.transition(this.id, status, patch);
    void this.leg?.hangup().catch(() => undefined);
  }

  /** Rings the open consoles; resolves once a person answers or declines, the caller gives up or time runs out. */
  ring(seconds: number, callerGone: AbortSignal): Promise<RingOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle("timeout"), seconds * 1000);
      const cancel = () => settle("cancelled");
      const settle = (outcome: RingOutcome) => {
        if (this.ringing !== settle) return;
        this.ringing = null;
        clearTimeout(timer);
        callerGone.removeEventListener("abort", cancel);
        resolve(outcome);
      };
      this.ringing = settle;
      callerGone.addEventListener("abort", cancel);
    });
  }

  /** A person's answer to a ringing call; false when it is not ringing (answered, declined, never rang). */
  settleRing(outcome: "answered" | "declined"): boolean {
    if (!this.ringing) return false;
    this.ringing(outcome);
    return true;
  }

  /** The row is final: the assistant stops and the audio views close. */
  closed(): void {
    this.ringing?.("cancelled");
    this.partials.close();
    this.voice?.close();
    this.voice = null;
    this.scribe?.close();
    this.stopListening();
    this.leg?.audio.close();
  }

  /** Whether an assistant line is a queued `say` (whole, or the part heard before the caller cut in). */
  private scripted(content: string): boolean {
    const words = (text: string) => text.replace(/\s+/g, " ").trim();
    const said = words(content);
    const i = this.sayQueue.findIndex((text) => said && words(text).startsWith(said));
    if (i < 0) return false;
    this.sayQueue.splice(i, 1);
    return true;
  }

  private host(leg: CallLeg, metrics: TurnMetrics[]): PipelineHost {
    const { store, calls } = this.deps;
    return {
      message: (role, content) => {
        const mark = role === "assistant" && this.scripted(content) ? "say" : undefined;
        calls.addMessage(this.id, role, content, mark, role === "user" ? this.partials.final("caller") : undefined);
      },
      partial: (text) => this.partials.update("caller", text),
      hangup: (reason) => this.end("ended", { end_reason: reason }),
      fail: (error) => this.end("failed", { end_reason: "pipeline_error", error }),
      transfer: async (destination) => {
        // Every transfer leg, the model's and the operator's, passes the destination allow-list.
        const refused = destinationRefusal(store, destination);
        if (refused) {
          calls.problem(this.id, `Transfer refused: ${refused}`);
          return false;
        }
        const ok = (await leg.transfer(destination).catch(() => null))?.ok ?? false;
        store.calls.addEvent(this.id, "transfer", { destination, ok });
        return ok;
      },
      toolCall: (call, tool) =>
        callToolWebhook({ ...this.deps, timeoutMs: this.deps.toolTimeoutMs }, this.id, call, tool),
      sendDtmf: (digits) => leg.sendDtmf(digits),
      doNotCall: (reason) => {
        // The customer's side of the call, whichever way it goes (an anonymous caller has none).
        const number = store.calls.get(this.id)?.caller_phone ?? null;
        if (!number) return null;
        store.durableTx(() => {
          store.campaigns.dncAdd(number, reason ? `asked during a call: ${reason}` : "asked during a call");
          store.calls.addEvent(this.id, "do_not_call", { number, reason });
        });
        return number;
      },
      turnMetrics: (m) => {
        metrics.push(m);
        calls.turn(this.id, m);
      },
      problem: (message) => {
        calls.problem(this.id, message);
      },
      interruption: (heard) => {
        store.calls.addEvent(this.id, "interruption", { heard });
      },
      amd: (report) => {
        store.calls.addEvent(this.id, "amd", { ...report });
      },
    };
  }
}
