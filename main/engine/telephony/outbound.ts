import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { Dialer, DialRequest } from "../calls/control.js";
import type { SipStack } from "../sip/stack.js";
import { bindLeg, type BindingDeps } from "./call-binding.js";

export { describeFailure } from "../sip/call-leg.js";

/** `host[:port]` of a trunk as it appears in our URIs (5060 left out, as carriers write it). */
export function trunkHostPort(trunk: { host: string; port: number }): string {
  return `${trunk.host}${trunk.port !== 5060 ? `:${trunk.port}` : ""}`;
}

/** A destination as a Request-URI on the trunk: a phone number becomes `sip:<number>@<trunk>`, a SIP URI stays. */
export function dialTarget(trunk: { host: string; port: number }, destination: string): string {
  return /^sips?:/i.test(destination) ? destination : `sip:${destination}@${trunkHostPort(trunk)}`;
}

export interface OutboundDialerOptions extends BindingDeps {
  noAnswerSeconds: number;
}

/**
 * Places calls for POST /calls/outbound through the number's trunk (or the first active one), with the
 * number as caller ID, and keeps the call row in step: `ringing_at` on 180/183, in-progress on 200, failed with
 * a readable reason otherwise.
 */
export class OutboundDialer implements Dialer {
  constructor(
    private readonly store: Store,
    private readonly calls: CallManager,
    private readonly stack: SipStack,
    private readonly opts: OutboundDialerOptions,
  ) {}

  async dial(req: DialRequest): Promise<void> {
    const number = req.numberId ? this.store.numbers.get(req.numberId) : undefined;
    const trunkId = req.trunkId ?? number?.sip_trunk_id ?? this.store.sipTrunks.activeIds()[0];
    if (!trunkId)
      throw new Error("No SIP trunk is configured: add one with POST /api/v1/sip-trunks, then place the call again");
    const trunk = this.store.sipTrunks.get(trunkId)!;
    if (!this.stack.hasTrunk(trunkId)) throw new Error(`SIP trunk '${trunk.name}' is not active`);
    // Where the trunk's server is and which address we are to it: what our Via, Contact and SDP say.
    await this.stack.ready(trunkId);
    const fromUser = req.callerId ?? trunk.username ?? "voicedock";
    const call = this.stack.dial(trunkId, {
      target: dialTarget(trunk, req.destination),
      fromUri: `sip:${fromUser}@${trunkHostPort(trunk)}`,
      noAnswerSeconds: this.opts.noAnswerSeconds,
    });
    if (!call) throw new Error(`'${req.destination}' is not a dialable address`);

    call.on("ringing", () => this.calls.markRinging(req.callId));
    bindLeg(this.opts, req.callId, call, ({ answered, byUs }) => {
      if (answered) {
        const ours = this.calls.liveCall(req.callId)?.owner === "person" ? "operator_hangup" : "assistant_hangup";
        this.calls.transition(req.callId, "ended", { end_reason: byUs ? ours : "user_hangup" });
      } else
        this.calls.transition(req.callId, "failed", {
          end_reason: call.unanswered ? "no_answer" : "sip_error",
          error: call.failure ?? "the call ended before it was answered",
        });
    });
    // Committed before the INVITE leaves: a call row without it was never dialled (campaign recovery reads
    // this), so it cannot wait in the call's write queue with the hot-path events.
    this.store.tx(() => this.store.calls.addEvent(req.callId, "invite", {}));
    await call.invite();
  }
}
