import { Inviter, SessionState, type Session, type URI, type UserAgent } from "sip.js";
import type { RtpSessionDescriptionHandler } from "../sip/rtp-sdh.js";
import type { RtpSession } from "../media/rtp-session.js";
import { describeFailure } from "./outbound.js";

/** How a transfer went: by REFER (the far end took the caller over) or by bridging a second call ourselves. */
export interface TransferOutcome { method: "refer" | "bridge"; ok: boolean; reason?: string }

export type Attempt = { ok: true } | { ok: false; reason: string; callerGone?: boolean };

/** The status line of a message/sipfrag body (RFC 3420), e.g. "SIP/2.0 180 Ringing". */
export function parseSipfrag(body: string | undefined): { code: number; phrase: string } | null {
  const m = /^\s*SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/i.exec(body ?? "");
  return m ? { code: Number(m[1]), phrase: m[2].trim() } : null;
}

export interface ReferTiming {
  /** Until the first sign of progress (a NOTIFY); silence this long means the far end will not do it. */
  firstReportMs: number;
  /** Once the target rings, how long a person gets to pick up. */
  answerMs: number;
}

/**
 * Blind transfer (RFC 3515): REFER the caller to `target` and follow the NOTIFY sipfrag reports until the
 * target answers (ok) or the far end says it could not reach it, refuses, or goes quiet.
 */
export function referTransfer(session: Session, target: URI, timing: ReferTiming): Promise<Attempt> {
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const wait = (ms: number, reason: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, reason }), ms);
      timer.unref();
    };
    const onState = (state: SessionState) => {
      if (state === SessionState.Terminated) finish({ ok: false, reason: "the caller hung up during the transfer", callerGone: true });
    };
    const finish = (result: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.stateChange.removeListener(onState);
      resolve(result);
    };
    session.stateChange.addListener(onState);
    wait(timing.firstReportMs, `the far end did not report on the transfer within ${Math.round(timing.firstReportMs / 1000)} s`);
    session.refer(target, {
      requestDelegate: {
        onReject: (response) => finish({ ok: false, reason: `the far end refused the transfer request (${response.message.statusCode} ${response.message.reasonPhrase})` }),
      },
      // Reports keep coming after we are done (or after a fallback): each still gets its 200.
      onNotify: (notification) => {
        void notification.accept().catch(() => undefined);
        if (settled) return;
        const status = parseSipfrag(notification.request.body);
        const terminated = /^\s*terminated/i.test(notification.request.getHeader("subscription-state") ?? "");
        if (status && status.code >= 200 && status.code < 300) finish({ ok: true });
        else if (status && status.code >= 300) finish({ ok: false, reason: `the transfer target answered ${status.code} ${status.phrase}`.trim() });
        else if (terminated) finish({ ok: false, reason: "the far end stopped reporting before the transfer target answered" });
        else wait(timing.answerMs, `the transfer target did not answer within ${Math.round(timing.answerMs / 1000)} s`);
      },
    }).catch((err: Error) => finish({ ok: false, reason: `the transfer request could not be sent (${err.message})` }));
  });
}

export type BridgeLeg = { ok: true; session: Inviter; media: RtpSessionDescriptionHandler } | { ok: false; reason: string; callerGone?: boolean };

/**
 * Calls the transfer target on the trunk's user agent, as the outbound dialer would, and settles once:
 * answered, refused, unanswered after `noAnswerSeconds`, or abandoned because the caller hung up meanwhile.
 */
export function dialBridgeLeg(ua: UserAgent, target: URI, fromUri: string, noAnswerSeconds: number, caller: Session): Promise<BridgeLeg> {
  return new Promise<BridgeLeg>((resolve) => {
    const inviter = new Inviter(ua, target, { earlyMedia: true, params: { fromUri } });
    let settled = false;
    let failure: string | null = null;
    const finish = (result: BridgeLeg) => {
      if (settled) return;
      settled = true;
      clearTimeout(noAnswer);
      caller.stateChange.removeListener(onCaller);
      resolve(result);
    };
    const noAnswer = setTimeout(() => {
      failure = `no answer after ${noAnswerSeconds} s`;
      void inviter.cancel().catch(() => undefined);
    }, noAnswerSeconds * 1000);
    noAnswer.unref();
    const onCaller = (state: SessionState) => {
      if (state !== SessionState.Terminated) return;
      if (inviter.state === SessionState.Established) void inviter.bye().catch(() => undefined);
      else void inviter.cancel().catch(() => undefined);
      finish({ ok: false, reason: "the caller hung up before the transfer target answered", callerGone: true });
    };
    caller.stateChange.addListener(onCaller);
    inviter.stateChange.addListener((state) => {
      if (state === SessionState.Established) finish({ ok: true, session: inviter, media: inviter.sessionDescriptionHandler as RtpSessionDescriptionHandler });
      // sip.js reports Terminated before it hands the final response to onReject: read the reason after it.
      else if (state === SessionState.Terminated) setImmediate(() => finish({ ok: false, reason: failure ?? "the call to the transfer target ended before it was answered" }));
    });
    inviter.invite({
      requestDelegate: {
        onReject: (response) => { failure = describeFailure(response.message.statusCode ?? 0, response.message.reasonPhrase ?? "", noAnswerSeconds); },
      },
    }).catch((err: Error) => finish({ ok: false, reason: `the call to the transfer target could not be placed (${err.message})` }));
  });
}

/**
 * Beyond this much audio waiting to go out, a relay drops what is queued: a burst after a network stall
 * would otherwise add its length to the delay for the rest of the call.
 */
const MAX_RELAY_BACKLOG_MS = 200;

/** Relays decoded audio (and RFC 4733 digits) both ways between two legs; returns the undo. */
export function relayAudio(a: RtpSession, b: RtpSession): () => void {
  const pipe = (from: RtpSession, to: RtpSession) => {
    const onFrame = (f: { data: Int16Array }) => {
      if (to.queuedMs > MAX_RELAY_BACKLOG_MS) to.flush();
      to.play(f.data);
    };
    const onDigit = (digit: string) => { to.sendDtmf(digit); };
    from.on("frame", onFrame);
    from.on("dtmf", onDigit);
    return () => { from.off("frame", onFrame); from.off("dtmf", onDigit); };
  };
  const undo = [pipe(a, b), pipe(b, a)];
  return () => { for (const u of undo) u(); };
}
