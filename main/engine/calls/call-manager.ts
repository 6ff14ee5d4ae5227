// Over 300 lines because every write of a call row goes through here, including the path that keeps a call
// going when the disk is full (deferred writes retried in order): both must see the same transitions.
import type { Store } from "../store/index.js";
import type { CallMessage, CallPatch, CallRecord, CallStatus, NewCall } from "../store/calls.js";
import type { EventBus } from "../events/bus.js";
import type { CallMessageOrigin, CallOwnerEvent } from "../domain/call.js";
import type { FreeJson } from "../domain/schema.js";
import type { TurnMetrics } from "../voice/session.js";
import type { WebhookService } from "../webhooks/service.js";
import { canTransition, isFinal } from "./call-state.js";
import type { CallController, ControlCommand, Dialer } from "./control.js";
import { LiveCall, type LiveCallDeps } from "./live-call.js";
import type { PartialLine } from "./partial-lines.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import { nowIso } from "../util/ids.js";
import { EventEmitter } from "node:events";
import { isStorageFailure, RETRY_MS as STORAGE_RETRY_MS } from "../store/call-writes.js";

export { isStorageFailure };

export class CallTransitionError extends Error {}

/** Without telephony nothing can carry a call: fail it with a reason a person can act on, never pretend. */
export const noTelephonyDialer = (store: Store): Dialer => ({
  async dial() {
    const trunks = store.sipTrunks.activeCount();
    throw new Error(
      trunks === 0
        ? "No SIP trunk is configured: add one with POST /api/v1/sip-trunks, then place the call again"
        : "This VoiceDock build cannot place outbound phone calls yet (no media engine): the call was not dialled",
    );
  },
});

export type CallManagerOptions = Pick<LiveCallDeps, "providers" | "toolTimeoutMs">;

/**
 * Owns the call rows and the live calls. Every status change goes through `transition`, which commits
 * the row, its event and its webhook outbox rows in one transaction, then tells subscribers — so nothing
 * is announced that is not on disk. Each call not yet final has one LiveCall here; `ended` hands it over
 * once the row is final (the post-call report reads its turn figures).
 */
export class CallManager extends EventEmitter<{ ended: [call: CallRecord, live: LiveCall | undefined] }> {
  private readonly live = new Map<string, LiveCall>();
  private dialer: Dialer;
  /** Writes the disk refused, kept in order per call and tried again until they land. */
  private readonly deferred = new Map<string, (() => void)[]>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** Calls some of whose writes the disk refused: told once, and noted in their log once all has landed. */
  private readonly late = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly webhooks: WebhookService,
    private readonly opts: CallManagerOptions,
  ) {
    super();
    this.dialer = noTelephonyDialer(store);
    // Lines, events and metrics merges are queued by the store (store/call-writes.ts); it keeps and retries
    // what the disk refuses, and this is where a person hears about it.
    const writes = store.calls.writes;
    writes.on("refused", (ids, err) => {
      for (const id of ids) this.report(id, err);
    });
    writes.on("landed", (ids) => {
      for (const id of ids) if (!this.deferred.has(id)) this.savedLate(id);
    });
    writes.on("dropped", (id, err) =>
      this.bus.publish({
        type: "call.problem",
        call_id: id,
        message: `A record of this call could not be saved: ${(err as Error).message}`,
      }),
    );
  }

  /** The call in progress with this id, or undefined when it is not live on this engine. */
  liveCall(id: string): LiveCall | undefined {
    return this.live.get(id);
  }

  /** A person takes a live call from its assistant (see LiveCall.takeOver). */
  takeOver(id: string): void {
    const live = this.live.get(id);
    if (!live) throw conflict(`Call '${id}' has no running assistant to take over`, "call_not_live");
    live.takeOver();
  }

  /** Keypad digits a person dials on a live call (see LiveCall.sendDtmf), kept in the call's log. */
  sendDtmf(id: string, digits: string): void {
    const live = this.live.get(id);
    if (!live) throw conflict(`Call '${id}' is not live on this engine`, "call_not_live");
    live.sendDtmf(digits);
    this.store.calls.addEvent(id, "dtmf_sent", { digits });
  }

  /** A person holds or resumes the far end (see LiveCall.hold); told only once the far end agreed. */
  async hold(id: string, on: boolean): Promise<void> {
    const live = this.live.get(id);
    if (!live) throw conflict(`Call '${id}' is not live on this engine`, "call_not_live");
    await live.hold(on);
    this.held(id, on, "us");
  }

  /** A hold that took effect, ours or the peer's: kept in the call's log and streamed. */
  held(callId: string, onHold: boolean, by: "us" | "peer"): void {
    this.store.calls.addEvent(callId, onHold ? "hold" : "unhold", { by });
    this.bus.publish({ type: "call.hold", call_id: callId, on_hold: onHold, by });
  }

  /** Who has a live call changed (a takeover or a hand-back): kept in the call's log and streamed. */
  ownerChanged(callId: string, change: CallOwnerEvent["change"], data: FreeJson = {}): void {
    this.store.calls.addEvent(callId, change, data);
    const owner = change === "handed_back" ? "assistant" : "person";
    this.bus.publish({ type: "call.owner", call_id: callId, owner, change });
  }

  /** One assistant reply's figures: all of them in the call's log, the ones a person watches streamed. */
  turn(callId: string, m: TurnMetrics): void {
    this.store.calls.addEvent(callId, "turn", { ...m });
    const { turn, voice_to_voice_ms, recognizer_ms, llm_first_token_ms, tts_first_audio_ms, interrupted } = m;
    this.bus.publish({
      type: "call.turn",
      call_id: callId,
      ...{ turn, voice_to_voice_ms, recognizer_ms, llm_first_token_ms, tts_first_audio_ms, interrupted },
    });
  }

  /** The person gives a call they took over back to its assistant (see LiveCall.handBack). */
  handBack(id: string): Promise<void> {
    const live = this.live.get(id);
    if (!live)
      throw conflict(`Call '${id}' is not live on this engine: there is nothing to hand back`, "call_not_live");
    return live.handBack();
  }

  /** How many calls this engine carries now (rows not yet final). */
  get liveCount(): number {
    return this.live.size;
  }

  setDialer(dialer: Dialer): void {
    this.dialer = dialer;
  }

  get(id: string): CallRecord | undefined {
    return this.store.calls.get(id);
  }

  create(call: NewCall): CallRecord {
    const created = this.store.tx(() => {
      const c = this.store.calls.create(call);
      this.store.calls.addEvent(c.id, "created", { status: c.status, direction: c.direction });
      return c;
    });
    if (!isFinal(created.status)) {
      this.live.set(
        created.id,
        new LiveCall(created.id, { store: this.store, calls: this, webhooks: this.webhooks, ...this.opts }),
      );
    }
    this.bus.publish({ type: "call.created", call: created });
    return created;
  }

  /** Moves a call to `next`, rejecting illegal moves; fills started/ended/duration from the move itself. */
  transition(id: string, next: CallStatus, patch: CallPatch = {}): CallRecord {
    const now = nowIso();
    // Times are taken now: a write that must wait for disk space still records when things happened.
    const timed: CallPatch = {
      ...patch,
      ...(next === "in-progress" ? { started_at: patch.started_at ?? now } : {}),
      ...(isFinal(next) ? { ended_at: patch.ended_at ?? now } : {}),
    };
    if (this.deferred.has(id)) return this.defer(id, () => this.write(id, next, timed), next, timed);
    try {
      return this.write(id, next, timed);
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      return this.defer(id, () => this.write(id, next, timed), next, timed, err);
    }
  }

  private write(id: string, next: CallStatus, patch: CallPatch): CallRecord {
    // The end of a call is fsynced: a power cut must not bring back a call that already ended.
    const updated = (isFinal(next) ? this.store.durableTx.bind(this.store) : this.store.tx.bind(this.store))(() => {
      const current = this.store.calls.get(id);
      if (!current) throw new CallTransitionError(`call ${id} does not exist`);
      if (!canTransition(current.status, next))
        throw new CallTransitionError(`call ${id} cannot go from ${current.status} to ${next}`);
      const now = nowIso();
      const full: CallPatch = { ...patch, status: next };
      if (next === "in-progress" && current.started_at) delete full.started_at;
      else if (next === "in-progress" && !full.started_at) full.started_at = now;
      if (isFinal(next)) {
        full.ended_at = patch.ended_at ?? now;
        const started = full.started_at ?? current.started_at;
        full.duration_seconds = started
          ? Math.max(0, Math.round((Date.parse(full.ended_at) - Date.parse(started)) / 1000))
          : 0;
      }
      const call = this.store.calls.update(id, full)!;
      this.store.calls.addEvent(id, "status", {
        from: current.status,
        to: next,
        ...(patch.end_reason ? { end_reason: patch.end_reason } : {}),
        ...(patch.error ? { error: patch.error } : {}),
      });
      this.webhooks.enqueueStatusUpdate(call);
      return call;
    });
    if (isFinal(next)) this.retire(updated);
    this.bus.publish({ type: isFinal(next) ? "call.ended" : "call.updated", call: updated });
    return updated;
  }

  /** The row is final: its live call stops (assistant, audio) and is handed to whoever reports on it. */
  private retire(call: CallRecord): void {
    const live = this.live.get(call.id);
    this.live.delete(call.id);
    live?.closed();
    this.emit("ended", call, live);
  }

  /**
   * The far end is ringing (an outbound call's 180/183). Not a status (the REST enum has none for it): the
   * row stays `connecting` and records `ringing_at`, an event and a `call.updated`; no webhook, as
   * webhooks.md has no status-update for ringing. The first ring counts, repeats change nothing.
   */
  markRinging(id: string): void {
    const updated = this.store.tx(() => {
      const c = this.store.calls.get(id);
      if (!c || c.status !== "connecting" || c.ringing_at) return null;
      this.store.calls.addEvent(id, "ringing", {});
      return this.store.calls.update(id, { ringing_at: nowIso() })!;
    });
    if (updated) this.bus.publish({ type: "call.updated", call: updated });
  }

  /** Adds figures to the call's `metrics` (its media report at hang-up) and keeps what is there; queued by the store. */
  mergeMetrics(id: string, metrics: Record<string, unknown>): void {
    this.store.calls.mergeMetrics(id, metrics);
  }

  /**
   * The disk refused a write of this call: the call goes on, everyone is told (the events stream and the
   * log, since the call's own log cannot be written), and the write waits in memory until it lands. What
   * callers get back is the row as it will be.
   */
  private defer(id: string, write: () => CallRecord, next: CallStatus, patch: CallPatch, err?: unknown): CallRecord {
    if (err) this.report(id, err);
    this.queue(id, () => {
      write();
    });
    const current = this.store.calls.get(id);
    // The call is over for everyone now (the assistant stops); it is reported once its row is on disk.
    if (isFinal(next)) this.live.get(id)?.closed();
    return { ...(current as CallRecord), ...(patch as Partial<CallRecord>), status: next };
  }

  private report(id: string, err: unknown): void {
    if (this.late.has(id)) return;
    this.late.add(id);
    this.bus.publish({
      type: "call.problem",
      call_id: id,
      message: `The database could not be written (${(err as Error).message}): the call goes on, and its record is saved as soon as there is room`,
    });
  }

  private queue(id: string, write: () => void): void {
    const list = this.deferred.get(id) ?? [];
    list.push(write);
    this.deferred.set(id, list);
    this.retryTimer ??= setTimeout(() => this.retryDeferred(), STORAGE_RETRY_MS).unref();
  }

  /** Tries the waiting writes again, in order per call; what lands is announced and noted in the call's log. */
  private retryDeferred(): void {
    this.retryTimer = null;
    for (const [id, list] of this.deferred) {
      try {
        while (list.length) {
          list[0]();
          list.shift();
        }
      } catch (err) {
        if (!isStorageFailure(err)) list.shift(); // not a disk problem: retrying will not help
        continue;
      }
      this.deferred.delete(id);
      this.savedLate(id);
    }
    if (this.deferred.size) this.retryTimer = setTimeout(() => this.retryDeferred(), STORAGE_RETRY_MS).unref();
  }

  /** Everything the disk refused for this call has landed: noted in its log and announced. */
  private savedLate(id: string): void {
    if (!this.late.delete(id)) return;
    try {
      this.store.calls.addEvent(id, "problem", {
        message: "The database's disk was full during this call: its record was saved late, nothing was lost",
      });
      const c = this.store.calls.get(id);
      if (c) this.bus.publish({ type: isFinal(c.status) ? "call.ended" : "call.updated", call: c });
    } catch {
      /* the record itself is saved; the note is not essential */
    }
  }

  /** Summary/analysis arrive after the end; the report goes out once they are stored. */
  finishReport(
    id: string,
    patch: Pick<CallPatch, "summary" | "analysis_result" | "recording_url" | "metrics"> = {},
  ): CallRecord {
    const changed = Object.values(patch).some((v) => v !== undefined);
    const call = this.store.tx(() => {
      const c = changed ? this.store.calls.update(id, patch)! : this.store.calls.get(id)!;
      this.webhooks.enqueueEndOfCallReport(c);
      return c;
    });
    // Nothing new on the row (a call no assistant carried): the report is all there is to send.
    if (changed) this.bus.publish({ type: "call.updated", call });
    return call;
  }

  /**
   * A transcript line; `mark` tags it on the console's stream: `operator`, a person's line (docs/decisions.md),
   * or `say`, a line a control `say` scripted for the assistant.
   */
  addMessage(
    callId: string,
    role: CallMessage["role"],
    content: string,
    mark?: "operator" | CallMessageOrigin,
    /** The speaker's line number its `call.partial`s carried (see PartialLines). */
    turn?: number,
  ): CallMessage {
    const message: CallMessage = { role, content, at: nowIso() };
    this.store.calls.addMessage(callId, message);
    const event = { type: "call.message" as const, call_id: callId, message, ...(turn ? { turn } : {}) };
    this.bus.publish(
      mark === "operator" ? { ...event, speaker: mark } : mark === "say" ? { ...event, origin: mark } : event,
    );
    return message;
  }

  /** A line still being spoken, for the consoles only: streamed, never stored (the final line is). */
  partial(callId: string, line: PartialLine): void {
    this.bus.publish({ type: "call.partial", call_id: callId, ...line });
  }

  /** Who acts on a live call's control commands when neither an assistant nor a person does (API tests, scripts). */
  attach(callId: string, controller: CallController): void {
    this.live.get(callId)?.useController(controller);
  }

  /**
   * A failure on a call that a person should hear about (a provider down, a refused webhook answer): kept
   * in the call's log, streamed, logged, and, while the call is live, carried in its `error` so the call
   * itself says what went wrong (issue #13 §12). An ended call keeps the error its end gave it.
   */
  problem(callId: string, message: string): void {
    this.store.calls.addEvent(callId, "problem", { message });
    this.bus.publish({ type: "call.problem", call_id: callId, message });
    const write = () => {
      const c = this.store.calls.get(callId);
      if (!c || isFinal(c.status)) return;
      this.bus.publish({ type: "call.updated", call: this.store.calls.update(callId, { error: message })! });
    };
    if (this.deferred.has(callId)) {
      this.queue(callId, write);
      return;
    }
    try {
      write();
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      this.report(callId, err);
      this.queue(callId, write);
    }
  }

  /** A digit the caller pressed: kept in the call's log and streamed. */
  dtmf(callId: string, digit: string, via: "rfc4733" | "sip-info"): void {
    this.store.calls.addEvent(callId, "dtmf", { digit, via });
    this.bus.publish({ type: "call.dtmf", call_id: callId, digit, via });
  }

  /** Places an outbound call created as `connecting`; a dial failure ends it as `failed` with the reason. */
  dial(call: CallRecord, assistant: Record<string, unknown>, via: { trunkId?: string } = {}): void {
    const request = {
      callId: call.id,
      destination: call.destination ?? "",
      callerId: call.assistant_phone,
      numberId: call.number_id,
      assistant,
      ...via,
    };
    // Deferred so the API answers `dialing` first; the outcome arrives as events and webhooks.
    setImmediate(() => {
      this.dialer.dial(request).catch((err: Error) => {
        const current = this.store.calls.get(call.id);
        if (current && !isFinal(current.status))
          this.transition(call.id, "failed", { end_reason: "sip_error", error: err.message });
      });
    });
  }

  async control(id: string, command: ControlCommand): Promise<void> {
    const call = this.store.calls.get(id);
    if (!call) throw notFound("Call", id);
    if (call.status !== "in-progress") {
      throw invalid(
        `Call '${id}' is ${call.status}: control commands need a call that is in-progress`,
        "call_not_active",
      );
    }
    const live = this.live.get(id);
    if (!live)
      throw conflict(
        `Call '${id}' is in-progress but not carried by this engine (it may belong to an earlier run)`,
        "call_not_live",
      );
    this.store.calls.addEvent(id, "control", { type: command.type });
    await live.control(command);
  }

  /**
   * The engine is stopping: every call it still carries (web calls, calls without SIP) stops its assistant
   * and audio now, before the database closes under it. Their rows stay live and are closed as
   * interrupted at the next start (recoverInterrupted), as after a crash.
   */
  stopAll(): void {
    for (const live of this.live.values()) live.closed();
    this.live.clear();
  }

  /** Calls whose rows say live: at start, before this engine carries any call, they belong to one that is gone. */
  interruptedCalls(): string[] {
    return this.store.calls.liveIds();
  }

  /** Closes the rows found by interruptedCalls() (only those: calls that arrived since are ours). */
  recoverInterrupted(ids: string[] = this.interruptedCalls()): void {
    for (const id of ids) {
      if (this.live.has(id)) continue;
      try {
        this.transition(id, "failed", {
          end_reason: "engine_restart",
          error: "VoiceDock stopped while this call was active",
        });
      } catch (err) {
        if (!(err instanceof CallTransitionError)) throw err; // already closed meanwhile
      }
    }
  }
}
