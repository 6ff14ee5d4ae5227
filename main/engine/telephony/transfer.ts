import type { RtpSession } from "../media/rtp-session.js";
import type { SipCallLeg, OutgoingCall } from "../sip/call-leg.js";
import type { SipStack } from "../sip/stack.js";

/** One side of a bridge: its SIP leg, and the call row it carried (null: a leg dialled only to be bridged). */
export interface BridgeSide {
  leg: SipCallLeg;
  callId: string | null;
}

export type BridgeLeg = { ok: true; call: OutgoingCall } | { ok: false; reason: string; callerGone?: boolean };

/**
 * Calls the transfer target on the trunk, as the outbound dialer would, and settles once: answered,
 * refused, unanswered after `noAnswerSeconds`, or abandoned because the caller hung up meanwhile.
 */
export function dialBridgeLeg(
  stack: SipStack,
  trunkId: string,
  target: string,
  fromUri: string,
  noAnswerSeconds: number,
  caller: SipCallLeg,
): Promise<BridgeLeg> {
  return new Promise<BridgeLeg>((resolve) => {
    const call = stack.dial(trunkId, { target, fromUri, noAnswerSeconds });
    if (!call) {
      resolve({ ok: false, reason: `'${target}' cannot be dialled on this trunk` });
      return;
    }
    let settled = false;
    const finish = (result: BridgeLeg) => {
      if (settled) return;
      settled = true;
      caller.off("ended", onCaller);
      resolve(result);
    };
    const onCaller = () => {
      void call.hangup().catch(() => undefined);
      finish({ ok: false, reason: "the caller hung up before the transfer target answered", callerGone: true });
    };
    caller.on("ended", onCaller);
    call.on("answered", () => finish({ ok: true, call }));
    call.on("ended", () =>
      finish({ ok: false, reason: call.failure ?? "the call to the transfer target ended before it was answered" }),
    );
    call
      .invite()
      .catch((err: Error) =>
        finish({ ok: false, reason: `the call to the transfer target could not be placed (${err.message})` }),
      );
  });
}

/**
 * Relays decoded audio and RFC 4733 digits both ways between two legs, inside the media worker (the main
 * thread is not on the path; see RtpSession.relayWith); returns the undo.
 */
export function relayAudio(a: RtpSession, b: RtpSession): () => void {
  return a.relayWith(b);
}
