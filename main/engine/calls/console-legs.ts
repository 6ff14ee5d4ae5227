import { randomBytes } from "node:crypto";
import { RtpSession, type RtpPortRange } from "../media/rtp-session.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import type { CallManager } from "./call-manager.js";

export interface ConsoleLegsOptions {
  calls: CallManager;
  /** Where ICE listens: the engine's own address (loopback by default). */
  host: string;
  ports: RtpPortRange;
  /** The person's audio while they talk on a call (8 kHz frames, buffer reused): transcribed as theirs. */
  heardPerson?: (callId: string, pcm: Int16Array) => void;
}

/** A console on a call: listening (it hears both sides), or talking (it hears the caller, the caller hears it). */
export type ConsoleMode = "listen" | "talk";

interface ConsoleLeg {
  callId: string;
  /** The call is on hold by us: the person's microphone does not reach it (they may be consulting). */
  held: boolean;
  rtp: RtpSession;
  mode: ConsoleMode;
  /** Undoes the monitor on the call's leg. */
  unmonitor: () => void;
  /** The call's RTP session the console hears. */
  call: RtpSession;
  stopHearing: (() => void) | null;
}

/**
 * A person's audio on a call, over WebRTC from the console (issue #16): the browser sends its offer and
 * gets a leg in the media worker that hears the call there (the caller, and what the call sends) and, while
 * the person has the call, talks on it — the caller's leg sends the browser's audio. The browser brings its
 * own echo cancellation, noise suppression and gain, and RTP its own timing, which the PCM WebSocket had not.
 * One console talks on a call at a time; others listen.
 */
export class ConsoleLegs {
  private readonly legs = new Map<string, ConsoleLeg>();
  /** Calls we hold now (a person's hold), for consoles that join meanwhile. */
  private readonly heldCalls = new Set<string>();

  constructor(private readonly o: ConsoleLegsOptions) {}

  /** Answers the browser's offer for a live call; resolves with the answer, the session and its mode. */
  async join(callId: string, offer: string): Promise<{ sdp: string; session: string; mode: ConsoleMode }> {
    const { calls } = this.o;
    if (!calls.get(callId)) throw notFound("Call", callId);
    const live = calls.liveCall(callId);
    const media = live?.media;
    if (!live || !media)
      throw conflict(`Call '${callId}' is not connected on this engine: only an answered, live call has audio`);
    const rtp = new RtpSession();
    let sdp: string;
    try {
      sdp = await rtp.openWebRtc(offer, this.o.host, this.o.ports);
    } catch (err) {
      rtp.close();
      throw invalid(`The SDP offer could not be answered: ${(err as Error).message}`, "invalid_sdp");
    }
    if (!calls.liveCall(callId)?.media) {
      rtp.close();
      throw conflict(`Call '${callId}' ended while its audio was being set up`);
    }
    const session = randomBytes(24).toString("base64url");
    const leg: ConsoleLeg = {
      callId,
      held: this.heldCalls.has(callId),
      rtp,
      mode: "listen",
      call: media,
      unmonitor: () => undefined,
      stopHearing: null,
    };
    this.legs.set(session, leg);
    rtp.on("gone", () => this.leave(session));
    this.setMode(leg, live.owner === "person" && !this.talker(callId) ? "talk" : "listen");
    return { sdp, session, mode: leg.mode };
  }

  /** The console that talks on a call, if any. */
  private talker(callId: string): ConsoleLeg | undefined {
    for (const l of this.legs.values()) if (l.callId === callId && l.mode === "talk") return l;
    return undefined;
  }

  private setMode(leg: ConsoleLeg, mode: ConsoleMode): void {
    leg.mode = mode;
    // The talker does not hear what the call sends: that is its own voice, late.
    leg.unmonitor();
    leg.unmonitor = leg.call.monitor(leg.rtp, mode === "listen");
    leg.rtp.feed(mode === "talk" && !leg.held ? leg.call : null);
    leg.stopHearing?.();
    leg.stopHearing = null;
    if (mode === "talk") {
      const heard = this.o.heardPerson;
      if (!heard) return;
      const hear = (frame: { data: Int16Array }) => heard(leg.callId, frame.data);
      leg.rtp.on("frame", hear);
      leg.stopHearing = () => leg.rtp.off("frame", hear);
    }
  }

  /**
   * Who has the call changed (a takeover, a hand-back): after a takeover the console that asked talks (or,
   * if none named, the first one on the call); after a hand-back every console listens. Unknown sessions
   * are a 404; a session of another call a 409.
   */
  ownerChanged(callId: string, session?: string): ConsoleMode | null {
    const live = this.o.calls.liveCall(callId);
    const person = live?.owner === "person";
    let chosen: ConsoleLeg | undefined;
    if (session !== undefined) {
      chosen = this.legs.get(session);
      if (!chosen) throw notFound("Console audio session", session);
      if (chosen.callId !== callId) throw conflict(`That console audio session is on another call`);
    }
    const onCall = [...this.legs.values()].filter((l) => l.callId === callId);
    chosen ??= onCall.find((l) => l.mode === "talk") ?? onCall[0];
    for (const l of onCall) {
      const mode: ConsoleMode = person && l === chosen ? "talk" : "listen";
      if (l.mode !== mode) this.setMode(l, mode);
    }
    return chosen ? chosen.mode : null;
  }

  /**
   * We put the call on hold (or took it off): while held the talker's microphone stops reaching it — the
   * person may be talking to someone else, and a held party must not overhear that.
   */
  holdChanged(callId: string, held: boolean): void {
    if (held) this.heldCalls.add(callId);
    else this.heldCalls.delete(callId);
    for (const l of this.legs.values())
      if (l.callId === callId) {
        l.held = held;
        if (l.mode === "talk") l.rtp.feed(held ? null : l.call);
      }
  }

  /** The console hung up its audio (the call goes on). False when no such session is live. */
  leave(session: string, callId?: string): boolean {
    const leg = this.legs.get(session);
    if (!leg || (callId !== undefined && leg.callId !== callId)) return false;
    this.legs.delete(session);
    leg.stopHearing?.();
    leg.unmonitor();
    leg.rtp.close();
    return true;
  }

  /** The call ended: its consoles' legs close. */
  callEnded(callId: string): void {
    this.heldCalls.delete(callId);
    for (const [session, l] of this.legs) if (l.callId === callId) this.leave(session);
  }

  close(): void {
    for (const session of [...this.legs.keys()]) this.leave(session);
  }
}
