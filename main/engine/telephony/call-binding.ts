import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../store/index.js";
import type { CallManager } from "../calls/call-manager.js";
import type { CallLeg, TransferOutcome } from "../calls/control.js";
import type { SipCallLeg } from "../sip/call-leg.js";
import { rtpCallAudio } from "../media/call-audio.js";
import type { RtpSession } from "../media/rtp-session.js";
import { isFinal } from "../calls/call-state.js";

export interface BindingDeps {
  store: Store;
  calls: CallManager;
  /** Where call recordings go (stereo WAV, caller left, agent right). */
  recordingsDir: string;
  /** The API's base URL, for recording_url. */
  baseUrl(): string;
  transfer(callId: string, leg: SipCallLeg, destination: string): Promise<TransferOutcome>;
  /** After the live call has its leg: starts what carries the call (its assistant; tests put their own here). */
  answered(callId: string, leg: CallLeg, rtp: RtpSession): void;
  /** A call's SIP leg, from the moment it is bound (ringing included), for what needs the dialog itself. */
  bound?(callId: string, leg: SipCallLeg): void;
}

/** How the SIP leg ended, as the binding saw it. */
export interface LegEnd {
  /** Whether the call was ever answered. */
  answered: boolean;
  /** Whether our side hung up (a control command or a person), as opposed to the far end. */
  byUs: boolean;
}

/**
 * Keeps a call row and its live call in step with its SIP leg, the same for calls we answer and calls we
 * place: on answer the row goes in-progress, digits and hold land in the call's log, the recording
 * starts when asked for, and the live call gets the leg; at the end the media report is kept and
 * `ended` decides how the row closes (unless something of ours closed it already).
 */
export function bindLeg(deps: BindingDeps, callId: string, leg: SipCallLeg, ended: (how: LegEnd) => void): void {
  const { store, calls } = deps;
  const live = calls.liveCall(callId);
  deps.bound?.(callId, leg);
  let answered = false;
  leg.on("answered", () => {
    answered = true;
    calls.transition(callId, "in-progress");
    const rtp = leg.media!;
    rtp.on("dtmf", (digit) => calls.dtmf(callId, digit, "rfc4733"));
    leg.on("infoDigit", (digit) => calls.dtmf(callId, digit, "sip-info"));
    leg.on("hold", (held) => calls.held(callId, held, "peer"));
    const assistant = store.calls.assistantConfig(callId);
    if (assistant?.recording_enabled === true || store.settings.get("recording_enabled", false)) {
      mkdirSync(deps.recordingsDir, { recursive: true, mode: 0o700 });
      rtp.on("recordFailed", (reason) => calls.problem(callId, `Recording stopped: ${reason}; the call goes on`));
      rtp.startRecording(join(deps.recordingsDir, `${callId}.wav`));
      store.calls.update(callId, {
        recording_url: `${deps.baseUrl()}/api/v1/calls/${encodeURIComponent(callId)}/recording`,
      });
    }
    const port: CallLeg = {
      audio: rtpCallAudio(rtp),
      tap: () => rtpCallAudio(rtp),
      hangup: () => leg.hangup(),
      transfer: (destination) => deps.transfer(callId, leg, destination),
      sendDtmf: (digits) => rtp.sendDtmf(digits),
      media: rtp,
      hold: (on) => leg.hold(on),
    };
    live?.connect(port);
    deps.answered(callId, port, rtp);
  });
  leg.on("ended", () => {
    if (answered && leg.media) calls.mergeMetrics(callId, { media: leg.media.mediaReport() });
    const current = calls.get(callId);
    if (current && !isFinal(current.status)) ended({ answered, byUs: live?.hungUpByUs ?? false });
  });
}
