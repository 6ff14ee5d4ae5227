import { Inviter, SessionState, UserAgent, type Session, type URI } from "sip.js";
import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { ControlCommand, Dialer, DialRequest } from "../calls/control.js";
import type { SipStack } from "../sip/stack.js";
import type { RtpSessionDescriptionHandler } from "../sip/rtp-sdh.js";
import { notImplemented } from "../errors.js";

/** What a person should read when the far end refuses (api-v1 error text on the call). */
export function describeFailure(code: number, phrase: string, noAnswerSeconds: number): string {
  if (code === 486 || code === 600) return "busy";
  if (code === 603) return "declined";
  if (code === 404 || code === 604) return "not found";
  if (code === 408 || code === 480 || code === 487) return `no answer after ${noAnswerSeconds} s`;
  if (code === 401 || code === 407 || code === 403) return `the SIP trunk refused to place the call (${code} ${phrase}): check the trunk's credentials`;
  if (code === 484) return "the number is incomplete or invalid";
  if (code === 488) return "no common audio codec with the far end";
  return `the call failed (${code} ${phrase})`;
}

/** `host[:port]` of a trunk as it appears in our URIs (5060 left out, as carriers write it). */
export function trunkHostPort(trunk: { host: string; port: number }): string {
  return `${trunk.host}${trunk.port !== 5060 ? `:${trunk.port}` : ""}`;
}

/** A destination as a Request-URI on the trunk: a phone number becomes `sip:<number>@<trunk>`, a SIP URI stays. */
export function dialTarget(trunk: { host: string; port: number }, destination: string): URI | undefined {
  return UserAgent.makeURI(/^sips?:/i.test(destination) ? destination : `sip:${destination}@${trunkHostPort(trunk)}`);
}

export interface OutboundDialerOptions { noAnswerSeconds: number; onAnswered?: (callId: string, media: RtpSessionDescriptionHandler, session: Session) => void }

/**
 * Places calls for POST /calls/outbound through the number's trunk (or the first active one), with the
 * number as caller ID, and keeps the call row in step: `ringing_at` on 180/183, in-progress on 200, failed with
 * a readable reason otherwise.
 */
export class OutboundDialer implements Dialer {
  constructor(private readonly store: Store, private readonly calls: CallManager, private readonly stack: SipStack, private readonly opts: OutboundDialerOptions) {}

  async dial(req: DialRequest): Promise<void> {
    const number = req.numberId ? this.store.numbers.get(req.numberId) : undefined;
    const trunkId = number?.sip_trunk_id ?? this.store.sipTrunks.activeIds()[0];
    if (!trunkId) throw new Error("No SIP trunk is configured: add one with POST /api/v1/sip-trunks, then place the call again");
    const trunk = this.store.sipTrunks.get(trunkId)!;
    const ua = this.stack.userAgent(trunkId);
    if (!ua) throw new Error(`SIP trunk '${trunk.name}' is not active`);
    // Where the trunk's server is and which address we are to it: what our Via, Contact and SDP say.
    await this.stack.ready(trunkId);
    const hostPort = trunkHostPort(trunk);
    const target = dialTarget(trunk, req.destination);
    if (!target) throw new Error(`'${req.destination}' is not a dialable address`);
    const fromUser = req.callerId ?? trunk.username ?? "voicedock";
    const inviter = new Inviter(ua, target, { earlyMedia: true, params: { fromUri: `sip:${fromUser}@${hostPort}` } });

    let hungUpByUs = false;
    let media: RtpSessionDescriptionHandler | null = null;
    let failure: string | null = null;
    const noAnswer = setTimeout(() => {
      if (inviter.state === SessionState.Establishing || inviter.state === SessionState.Initial) {
        failure = `no answer after ${this.opts.noAnswerSeconds} s`;
        void inviter.cancel().catch(() => undefined);
      }
    }, this.opts.noAnswerSeconds * 1000);
    noAnswer.unref();

    inviter.stateChange.addListener((state) => {
      const current = this.calls.get(req.callId);
      if (!current) return;
      if (state === SessionState.Established) {
        clearTimeout(noAnswer);
        this.calls.transition(req.callId, "in-progress");
        this.calls.attach(req.callId, {
          control: async (command: ControlCommand) => {
            if (command.type === "end-call") { hungUpByUs = true; await inviter.bye(); }
            else throw notImplemented(`'${command.type}' needs the assistant, and this call runs none (its assistant has no llm_config)`);
          },
        });
        media = inviter.sessionDescriptionHandler as RtpSessionDescriptionHandler;
        this.opts.onAnswered?.(req.callId, media, inviter);
      } else if (state === SessionState.Terminated) {
        clearTimeout(noAnswer);
        if (media) this.calls.mergeMetrics(req.callId, { media: media.rtp.mediaReport() });
        // sip.js reports Terminated before it hands the final response to onReject: read the reason after it.
        setImmediate(() => {
          const now = this.calls.get(req.callId);
          if (!now) return;
          if (now.status === "in-progress") this.calls.transition(req.callId, "ended", { end_reason: hungUpByUs ? "assistant_hangup" : "user_hangup" });
          else if (now.status !== "ended" && now.status !== "failed") {
            this.calls.transition(req.callId, "failed", { end_reason: failure?.startsWith("no answer") ? "no_answer" : "sip_error", error: failure ?? "the call ended before it was answered" });
          }
        });
      }
    });

    // Written before the INVITE leaves: a call row without it was never dialled (campaign recovery reads this).
    this.store.calls.addEvent(req.callId, "invite", {});
    await inviter.invite({
      requestDelegate: {
        onProgress: (response) => {
          const code = response.message.statusCode ?? 0;
          if (code === 180 || code === 183) this.calls.markRinging(req.callId);
        },
        onReject: (response) => {
          failure = describeFailure(response.message.statusCode ?? 0, response.message.reasonPhrase ?? "", this.opts.noAnswerSeconds);
        },
      },
    });
  }
}
