import type { Store } from "../store/index.js";
import type { CallRecord } from "../store/calls.js";
import type { CallManager } from "../calls/call-manager.js";
import type { SipCallLeg } from "../sip/call-leg.js";
import { resolveOutbound } from "../calls/outbound.js";
import { isFinal } from "../calls/call-state.js";
import { conflict, notFound } from "../domain/errors.js";
import type { BridgeSide } from "./transfer.js";

export interface AttendedTransferDeps {
  store: Store;
  calls: CallManager;
  /** The SIP leg of a call this engine carries (ringing included), while its dialog lasts. */
  sipLeg(callId: string): SipCallLeg | undefined;
  /** Joins two far ends through the media worker and ends both rows as transferred (Telephony.bridge). */
  bridge(caller: BridgeSide, target: BridgeSide): void;
}

/** A person's call on hold while they talk to someone else about it, and whether a step on the pair runs now. */
interface Consultation {
  callId: string;
  consultId: string;
  busy: boolean;
}

/**
 * Attended transfer for a person's call (issue #16): the person puts the caller on hold and calls someone
 * (the consultation), then joins the two, takes the caller back, or switches between them. Joining is a
 * bridge in the media worker, like the blind transfer's fallback: it needs nothing of either far end but
 * the re-INVITEs every phone takes (docs/decisions.md). Every hold goes through CallManager.hold, so the
 * calls' logs and the events stream show each one as the console's own hold button would.
 */
export class AttendedTransfers {
  /** By the id of the call consulted for: one consultation per call at a time. */
  private readonly byCall = new Map<string, Consultation>();

  constructor(private readonly d: AttendedTransferDeps) {
    d.calls.on("ended", (call) => this.ended(call));
  }

  /**
   * Holds the call (a real re-INVITE; refused holds are a 409 and nothing else happens), then calls
   * `destination` as a person's call on the same trunk and number. Resolves once the consultation is
   * dialled; its answer arrives as the new call's events.
   */
  async consult(callId: string, destination: string): Promise<{ consult_call_id: string }> {
    const { store, calls } = this.d;
    const call = this.personCall(callId, "consult about it");
    const open = this.byCall.get(callId);
    if (open && !isFinal(calls.get(open.consultId)?.status ?? "ended"))
      throw conflict(
        `Call '${callId}' already has a consultation (call '${open.consultId}'): complete, cancel or swap that one first`,
        "consultation_open",
      );
    if (this.forConsult(callId))
      throw conflict(
        `Call '${callId}' is itself a consultation: complete or cancel it before consulting from it`,
        "is_consultation",
      );
    const leg = this.d.sipLeg(callId);
    if (!leg?.isUp)
      throw conflict(`Call '${callId}' has no phone line on this engine to consult from`, "no_phone_line");
    // What can refuse the new call does so before the hold: a refused consultation leaves the call as it was.
    const plan = resolveOutbound(store, {
      destination,
      handled_by: "person",
      number_id: call.number_id ?? undefined,
      metadata: { consult_for_call_id: callId },
    });
    const c: Consultation = { callId, consultId: plan.call.id, busy: true };
    this.byCall.set(callId, c);
    try {
      await calls.hold(callId, true);
    } catch (err) {
      this.byCall.delete(callId);
      throw err;
    }
    try {
      const created = calls.create(plan.call);
      store.calls.addEvent(callId, "consult_started", { consult_call_id: created.id, destination });
      store.calls.addEvent(created.id, "consult_for", { call_id: callId });
      // The trunk the call itself is on: the person's caller ID and carrier stay the same for both calls.
      calls.dial(created, plan.assistant, { trunkId: leg.trunkId });
      return { consult_call_id: created.id };
    } finally {
      c.busy = false;
    }
  }

  /**
   * Joins the two far ends and steps out: whichever is held is taken off hold first (re-INVITE
   * a=sendrecv), so audio flows both ways once they are relayed; both rows end as `transferred`.
   */
  async complete(callId: string, consultId: string): Promise<void> {
    const c = this.linked(callId, consultId);
    const [a, b] = this.bothUp(callId, consultId, "be joined");
    c.busy = true;
    try {
      for (const [id, leg] of [
        [callId, a],
        [consultId, b],
      ] as const)
        if (leg.heldByUs) await this.d.calls.hold(id, false);
      if (!this.stillUp(callId, a) || !this.stillUp(consultId, b))
        throw conflict(
          `A far end hung up while the transfer was being completed: nothing was joined (call '${callId}' is ${this.d.calls.get(callId)?.status}, call '${consultId}' is ${this.d.calls.get(consultId)?.status})`,
          "call_not_live",
        );
      this.byCall.delete(callId);
      this.d.store.calls.addEvent(callId, "transfer_completed", { method: "bridge", consult_call_id: consultId });
      this.d.store.calls.addEvent(consultId, "transfer_completed", { method: "bridge", call_id: callId });
      // The call consulted for is the transferee ("caller"), the consultation the target, as in a blind transfer.
      this.d.bridge({ leg: a, callId }, { leg: b, callId: consultId });
    } finally {
      c.busy = false;
    }
  }

  /** Hangs up the consultation (BYE, or CANCEL while it rings) and takes the call off hold. */
  async cancel(callId: string, consultId: string): Promise<void> {
    const { store, calls } = this.d;
    const c = this.linked(callId, consultId);
    this.personCall(callId, "be taken back after a consultation");
    c.busy = true;
    try {
      this.byCall.delete(callId);
      this.hangUp(consultId);
      store.calls.addEvent(callId, "consult_cancelled", { consult_call_id: consultId });
      if (this.d.sipLeg(callId)?.heldByUs) await calls.hold(callId, false);
    } finally {
      c.busy = false;
    }
  }

  /**
   * The person switches: the party they talk to now goes on hold and the held one comes back. If the
   * resume is refused, the first is taken off hold again, so the person is never left with both held.
   */
  async swap(callId: string, consultId: string): Promise<{ active_call_id: string }> {
    const { store, calls } = this.d;
    const c = this.linked(callId, consultId);
    const [a, b] = this.bothUp(callId, consultId, "be swapped");
    const [hold, resume] = a.heldByUs
      ? [
          { id: consultId, leg: b },
          { id: callId, leg: a },
        ]
      : [
          { id: callId, leg: a },
          { id: consultId, leg: b },
        ];
    c.busy = true;
    try {
      if (!hold.leg.heldByUs) await calls.hold(hold.id, true);
      if (resume.leg.heldByUs) {
        try {
          await calls.hold(resume.id, false);
        } catch (err) {
          await calls.hold(hold.id, false).catch(() => undefined);
          throw err;
        }
      }
      for (const id of [callId, consultId]) store.calls.addEvent(id, "consult_swapped", { active_call_id: resume.id });
      return { active_call_id: resume.id };
    } finally {
      c.busy = false;
    }
  }

  /** A call ended: the consultation it was part of is over (the other call stays the person's own). */
  private ended(call: CallRecord): void {
    const { store } = this.d;
    const held = this.byCall.get(call.id);
    if (held) {
      this.byCall.delete(call.id);
      if (!isFinal(this.d.calls.get(held.consultId)?.status ?? "ended"))
        store.calls.addEvent(held.consultId, "consult_for_ended", { call_id: call.id, end_reason: call.end_reason });
    }
    // Kept while the call is on hold: a cancel then still takes it off hold, and a new consultation may start.
    const c = this.forConsult(call.id);
    if (c)
      store.calls.addEvent(c.callId, "consult_ended", {
        consult_call_id: call.id,
        status: call.status,
        end_reason: call.end_reason,
      });
  }

  /** Ends the consultation's row as the person's hang-up, then its dialog. */
  private hangUp(id: string): void {
    const { calls } = this.d;
    const call = calls.get(id);
    if (!call || isFinal(call.status)) return;
    const live = calls.liveCall(id);
    if (live) live.hungUpByUs = true;
    // Committed before the BYE or CANCEL leaves, so the leg's end is not read as the far end's hang-up.
    calls.transition(id, "ended", { end_reason: "operator_hangup" });
    void this.d
      .sipLeg(id)
      ?.hangup()
      .catch(() => undefined);
  }

  private forConsult(consultId: string): Consultation | undefined {
    for (const c of this.byCall.values()) if (c.consultId === consultId) return c;
    return undefined;
  }

  /** The pair, when `consultId` is the consultation of `callId` and no other step on it is waiting. */
  private linked(callId: string, consultId: string): Consultation {
    const { calls } = this.d;
    if (!calls.get(callId)) throw notFound("Call", callId);
    if (!calls.get(consultId)) throw notFound("Call", consultId);
    const c = this.byCall.get(callId);
    if (!c || c.consultId !== consultId)
      throw conflict(
        `Call '${consultId}' is not an open consultation for call '${callId}': start one with POST /api/v1/calls/${callId}/consult`,
        "not_linked",
      );
    if (c.busy)
      throw conflict(
        `Another transfer step on call '${callId}' is still waiting for a far end's answer: try again in a moment`,
        "transfer_busy",
      );
    return c;
  }

  /** Both calls are a person's, answered and up here: their SIP legs. */
  private bothUp(callId: string, consultId: string, what: string): [SipCallLeg, SipCallLeg] {
    this.personCall(callId, what);
    if (this.d.calls.get(consultId)?.status === "connecting")
      throw conflict(
        `Consultation call '${consultId}' has not been answered yet: wait for the answer, or cancel it`,
        "consultation_not_answered",
      );
    this.personCall(consultId, what);
    const a = this.d.sipLeg(callId);
    const b = this.d.sipLeg(consultId);
    if (!a?.isUp || !b?.isUp)
      throw conflict(`Calls '${callId}' and '${consultId}' are not both connected on this engine`, "call_not_live");
    return [a, b];
  }

  private stillUp(id: string, leg: SipCallLeg): boolean {
    return leg.isUp && this.d.calls.get(id)?.status === "in-progress";
  }

  /** A call in progress that a person has on this engine (404 unknown, 409 otherwise). */
  private personCall(id: string, what: string): CallRecord {
    const call = this.d.calls.get(id);
    if (!call) throw notFound("Call", id);
    const live = this.d.calls.liveCall(id);
    if (call.status !== "in-progress" || !live)
      throw conflict(
        `Call '${id}' is ${call.status === "in-progress" ? "not carried by this engine" : call.status}: only a person's call in progress can ${what}`,
        "call_not_live",
      );
    if (live.owner !== "person")
      throw conflict(
        `Call '${id}' is not a person's call (${live.owner === "assistant" ? "its assistant speaks on it: take it over first" : "nobody has it yet"}): only a person's call can ${what}`,
        "not_person_call",
      );
    return call;
  }
}
