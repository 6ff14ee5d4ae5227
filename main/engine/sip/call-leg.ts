// Over 300 lines because it is the one facade over a sip.js session: every dialog action (answer, hang up,
// REFER and its NOTIFY reports, hold by re-INVITE) lives behind it, so nothing outside sip/ imports sip.js.
import { EventEmitter } from "node:events";
import { Inviter, RequestPendingError, SessionState, UserAgent, type Invitation, type Session } from "sip.js";
import type { RtpSession } from "../media/rtp-session.js";
import { parseDtmfInfo } from "../media/dtmf.js";
import { SdpError, type RtpSessionDescriptionHandler } from "./rtp-sdh.js";
import { ORIGINAL_URI_HEADER } from "./router.js";
import { describeFailure } from "./failure-text.js";

export { describeFailure } from "./failure-text.js";

/** How our re-INVITE went; `busy` when another one of ours was still waiting for its answer. */
export type HoldOutcome = { ok: true } | { ok: false; reason: string; busy?: boolean };

/** How a REFER went, as the NOTIFY reports told it. */
export type Attempt = { ok: true } | { ok: false; reason: string; callerGone?: boolean };

export interface ReferTiming {
  /** Until the first sign of progress (a NOTIFY); silence this long means the far end will not do it. */
  firstReportMs: number;
  /** Once the target rings, how long a person gets to pick up. */
  answerMs: number;
}

export interface CallLegEvents {
  /** The call is up: media flows. */
  answered: [];
  /** The SIP dialog is over (BYE, CANCEL, a final failure). Fires once. */
  ended: [];
  /** The peer put the call on hold (true) or took it off (false). */
  hold: [held: boolean];
  /** A digit by SIP INFO (RFC 4733 digits come from the media). */
  infoDigit: [digit: string];
  /** 180/183 from the far end of a call we placed. */
  ringing: [];
}

/**
 * One SIP call as the rest of the engine sees it: our facade over a sip.js session, so that nothing
 * outside sip/ depends on sip.js. It says when the call is answered and when it is over, carries the
 * call's RTP session, and does what can be done to a dialog: hang up, refer.
 */
export class SipCallLeg extends EventEmitter<CallLegEvents> {
  private over = false;
  private reinviting = false;

  constructor(
    protected readonly session: Session,
    readonly trunkId: string,
  ) {
    super();
    session.stateChange.addListener((state) => {
      if (state === SessionState.Established) this.established();
      // sip.js reports Terminated before it hands a final response to onReject: "ended" follows on the next turn,
      // when the reason is known.
      else if (state === SessionState.Terminated && !this.over) {
        this.over = true;
        setImmediate(() => this.emit("ended"));
      }
    });
    session.delegate = {
      ...session.delegate,
      onInfo: (info) => {
        const digit = parseDtmfInfo(info.request.getHeader("content-type") ?? "", info.request.body ?? "");
        if (digit) this.emit("infoDigit", digit);
        void info.accept().catch(() => undefined);
      },
    };
  }

  private established(): void {
    this.sdh.on("hold", (held) => this.emit("hold", held));
    this.emit("answered");
  }

  private get sdh(): RtpSessionDescriptionHandler {
    return this.session.sessionDescriptionHandler as RtpSessionDescriptionHandler;
  }

  /** The call's RTP, once an answer set it up (null before). */
  get media(): RtpSession | null {
    return this.session.sessionDescriptionHandler ? this.sdh.rtp : null;
  }

  get isUp(): boolean {
    return this.session.state === SessionState.Established;
  }
  get isOver(): boolean {
    return this.session.state === SessionState.Terminated;
  }
  /** Whether our last offer the far end accepted put it on hold (a=sendonly), whoever asked for it. */
  get heldByUs(): boolean {
    return this.isUp && this.sdh.direction === "sendonly";
  }

  /** Ends an answered call with BYE; a call not yet answered is ended as its direction requires. */
  async hangup(): Promise<void> {
    if (this.session.state === SessionState.Established) await this.session.bye();
  }

  /**
   * Puts the far end on hold (our offer says a=sendonly) or takes it off (a=sendrecv) by re-INVITE (RFC 3264
   * §8.4), and resolves once the far end's final answer is in: a person's console shows "on hold" only when
   * the peer agreed. A refusal leaves the call as it was.
   */
  async hold(on: boolean): Promise<HoldOutcome> {
    if (!this.isUp) return { ok: false, reason: "the call is not up" };
    if (this.reinviting)
      return { ok: false, busy: true, reason: "a re-INVITE is already waiting for the far end's answer" };
    const sdh = this.sdh;
    const before = sdh.direction;
    sdh.direction = on ? "sendonly" : "sendrecv";
    this.reinviting = true;
    const outcome = await new Promise<HoldOutcome>((resolve) => {
      const onEnded = () => resolve({ ok: false, reason: "the call ended before the far end answered" });
      this.once("ended", onEnded);
      const settle = (result: HoldOutcome) => {
        this.off("ended", onEnded);
        resolve(result);
      };
      this.session
        .invite({
          requestDelegate: {
            // sip.js calls this after the answer was applied, or after it gave up on it and ended the call.
            onAccept: () =>
              settle(
                this.isUp ? { ok: true } : { ok: false, reason: "the far end's answer was unusable; the call ended" },
              ),
            onReject: (response) =>
              settle({
                ok: false,
                reason: `the far end refused (${response.message.statusCode} ${response.message.reasonPhrase})`.trim(),
              }),
          },
        })
        .catch((err: Error) =>
          settle({
            ok: false,
            busy: err instanceof RequestPendingError,
            reason: `the re-INVITE could not be sent (${err.message})`,
          }),
        );
    });
    this.reinviting = false;
    if (!outcome.ok) sdh.direction = before;
    return outcome;
  }

  /**
   * Blind transfer (RFC 3515): REFER the caller to `target` and follow the NOTIFY sipfrag reports until the
   * target answers (ok) or the far end says it could not reach it, refuses, or goes quiet.
   */
  refer(target: string, timing: ReferTiming): Promise<Attempt> {
    const uri = UserAgent.makeURI(target);
    if (!uri) return Promise.resolve({ ok: false, reason: `'${target}' is not a SIP URI` });
    const session = this.session;
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const wait = (ms: number, reason: string) => {
        clearTimeout(timer);
        timer = setTimeout(() => finish({ ok: false, reason }), ms);
        timer.unref();
      };
      const onEnded = () => finish({ ok: false, reason: "the caller hung up during the transfer", callerGone: true });
      const finish = (result: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.off("ended", onEnded);
        resolve(result);
      };
      this.on("ended", onEnded);
      wait(
        timing.firstReportMs,
        `the far end did not report on the transfer within ${Math.round(timing.firstReportMs / 1000)} s`,
      );
      session
        .refer(uri, {
          requestDelegate: {
            onReject: (response) =>
              finish({
                ok: false,
                reason: `the far end refused the transfer request (${response.message.statusCode} ${response.message.reasonPhrase})`,
              }),
          },
          // Reports keep coming after we are done (or after a fallback): each still gets its 200.
          onNotify: (notification) => {
            void notification.accept().catch(() => undefined);
            if (settled) return;
            const status = parseSipfrag(notification.request.body);
            const terminated = /^\s*terminated/i.test(notification.request.getHeader("subscription-state") ?? "");
            if (status && status.code >= 200 && status.code < 300) finish({ ok: true });
            else if (status && status.code >= 300)
              finish({ ok: false, reason: `the transfer target answered ${status.code} ${status.phrase}`.trim() });
            else if (terminated)
              finish({ ok: false, reason: "the far end stopped reporting before the transfer target answered" });
            else
              wait(
                timing.answerMs,
                `the transfer target did not answer within ${Math.round(timing.answerMs / 1000)} s`,
              );
          },
        })
        .catch((err: Error) =>
          finish({ ok: false, reason: `the transfer request could not be sent (${err.message})` }),
        );
    });
  }
}

/** The status line of a message/sipfrag body (RFC 3420), e.g. "SIP/2.0 180 Ringing". */
export function parseSipfrag(body: string | undefined): { code: number; phrase: string } | null {
  const m = /^\s*SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/i.exec(body ?? "");
  return m ? { code: Number(m[1]), phrase: m[2].trim() } : null;
}

/** Whom an incoming call is for and from, as the INVITE says. */
export interface IncomingAddress {
  /** The user part of the Request-URI as the trunk first addressed it (before a proxy rewrote it). */
  requestUser: string | undefined;
  toUser: string | undefined;
  fromUser: string | undefined;
}

/** A call that reached us: not yet answered until `accept()`. */
export class IncomingCall extends SipCallLeg {
  readonly address: IncomingAddress;

  constructor(
    private readonly invitation: Invitation,
    trunkId: string,
  ) {
    super(invitation, trunkId);
    const request = invitation.request;
    const original = /^sips?:([^@;>\s]+)@/i.exec(request.getHeader(ORIGINAL_URI_HEADER) ?? "")?.[1];
    this.address = {
      requestUser: original ?? request.ruri?.user,
      toUser: request.to.uri.user,
      fromUser: request.from.uri.user,
    };
  }

  /** Still waiting for our answer (the caller has not given up). */
  get isRinging(): boolean {
    return this.invitation.state === SessionState.Initial || this.invitation.state === SessionState.Establishing;
  }

  /** 180 Ringing. */
  async ring(): Promise<void> {
    await this.invitation.progress().catch(() => undefined);
  }

  /** 200 OK. An offer we cannot answer is refused with its SIP code, and thrown as SdpError. */
  async accept(): Promise<void> {
    try {
      await this.invitation.accept();
    } catch (err) {
      if (err instanceof SdpError) await this.reject(err.statusCode, "Not Acceptable Here");
      throw err;
    }
  }

  async reject(statusCode: number, reasonPhrase: string): Promise<void> {
    await this.invitation.reject({ statusCode, reasonPhrase }).catch(() => undefined);
  }
}

export interface DialOptions {
  /** Where to: a Request-URI built by the caller (sip:number@trunk, or a SIP URI given by the user). */
  target: string;
  fromUri: string;
  noAnswerSeconds: number;
}

/** A call we place: `failure` says in words why it ended before it was answered. */
export class OutgoingCall extends SipCallLeg {
  /** Why the far end or the clock refused the call; null while it may still be answered. */
  failure: string | null = null;
  private noAnswer: NodeJS.Timeout | null = null;

  constructor(
    private readonly inviter: Inviter,
    trunkId: string,
    private readonly opts: DialOptions,
  ) {
    super(inviter, trunkId);
    this.on("answered", () => this.stopClock());
    this.on("ended", () => this.stopClock());
  }

  /** Sends the INVITE; resolves once it is on its way (the outcome arrives as events). */
  async invite(): Promise<void> {
    this.noAnswer = setTimeout(() => {
      if (this.inviter.state === SessionState.Establishing || this.inviter.state === SessionState.Initial) {
        this.failure = `no answer after ${this.opts.noAnswerSeconds} s`;
        void this.inviter.cancel().catch(() => undefined);
      }
    }, this.opts.noAnswerSeconds * 1000);
    this.noAnswer.unref();
    await this.inviter.invite({
      requestDelegate: {
        onProgress: (response) => {
          const code = response.message.statusCode ?? 0;
          if (code === 180 || code === 183) this.emit("ringing");
        },
        onReject: (response) => {
          this.failure = describeFailure(
            response.message.statusCode ?? 0,
            response.message.reasonPhrase ?? "",
            this.opts.noAnswerSeconds,
          );
        },
      },
    });
  }

  /** Whether the far end gave up waiting for an answer (our no-answer clock), as opposed to refusing. */
  get unanswered(): boolean {
    return this.failure?.startsWith("no answer") ?? false;
  }

  /** Ends the call whatever its state: BYE once answered, CANCEL before. */
  override async hangup(): Promise<void> {
    if (this.inviter.state === SessionState.Established) await this.inviter.bye();
    else if (this.inviter.state === SessionState.Establishing || this.inviter.state === SessionState.Initial)
      await this.inviter.cancel();
  }

  private stopClock(): void {
    if (this.noAnswer) clearTimeout(this.noAnswer);
  }
}

/** Places a call on a trunk's user agent; undefined when `target` is no SIP URI. */
export function dial(ua: UserAgent, trunkId: string, opts: DialOptions): OutgoingCall | undefined {
  const uri = UserAgent.makeURI(opts.target);
  if (!uri) return undefined;
  return new OutgoingCall(new Inviter(ua, uri, { earlyMedia: true, params: { fromUri: opts.fromUri } }), trunkId, opts);
}

/** Whether `text` parses as a SIP URI. */
export const isSipUri = (text: string): boolean => UserAgent.makeURI(text) !== undefined;
