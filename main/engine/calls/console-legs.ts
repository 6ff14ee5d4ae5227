import { randomBytes } from "node:crypto";
import { RtpSession, type RtpPortRange } from "../media/rtp-session.js";
import { conflict, invalid, notFound } from "../domain/errors.js";
import type { CallCoachEvent } from "../domain/call.js";
import type { CallManager } from "./call-manager.js";

export interface ConsoleLegsOptions {
  calls: CallManager;
  /** Where ICE listens: the engine's own address (loopback by default). */
  host: string;
  ports: RtpPortRange;
  /** The person's audio while they talk on a call (8 kHz frames, buffer reused): transcribed as theirs. */
  heardPerson?: (callId: string, pcm: Int16Array) => void;
  /** A coach began or stopped whispering (the events stream's `call.coach`). */
  coachChanged?: (event: CallCoachEvent) => void;
}

/**
 * A console on a call: listening (it hears both sides), talking (it hears the caller, the caller hears it),
 * or coaching (it hears both sides; only the talking console hears it).
 */
export type ConsoleMode = "listen" | "talk" | "coach";

/** What a console may ask for when it joins; without it: talk if a person has the call and nobody talks. */
export type RequestedMode = "listen" | "coach";

/** A trickled fragment, as the API read it (api/sdp-offer.ts). */
export interface TrickledCandidates {
  ufrag: string | null;
  candidates: { candidate: string; mid: string | null }[];
  end: boolean;
}

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
  /** The ICE session the browser's offer opened: trickled candidates must be for it. */
  ice: { ufrag: string | null; mids: string[] };
  /** Who the console's API key names (a person), if anyone: a coach is told whose ear it is in. */
  who: string | null;
  /** A coach's talker: the console whose person hears this one. */
  coaching: ConsoleLeg | null;
  session: string;
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

  /**
   * Answers the browser's offer for a live call; resolves with the answer, the session and its mode (for a
   * coach, also who it whispers to). A coach needs a console talking on the call: 409 otherwise.
   */
  async join(
    callId: string,
    offer: string,
    opts: { mode?: RequestedMode; who?: string | null } = {},
  ): Promise<{ sdp: string; session: string; mode: ConsoleMode; talker: string | null }> {
    const { calls } = this.o;
    if (!calls.get(callId)) throw notFound("Call", callId);
    const live = calls.liveCall(callId);
    const media = live?.media;
    if (!live || !media)
      throw conflict(`Call '${callId}' is not connected on this engine: only an answered, live call has audio`);
    if (opts.mode === "coach") this.coachable(callId);
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
    let talker: ConsoleLeg | undefined;
    try {
      if (opts.mode === "coach") talker = this.coachable(callId);
    } catch (err) {
      rtp.close();
      throw err;
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
      ice: offerIce(offer),
      who: opts.who ?? null,
      coaching: null,
      session,
    };
    this.legs.set(session, leg);
    rtp.on("gone", () => this.leave(session));
    if (talker) this.coach(leg, talker);
    else this.setMode(leg, !opts.mode && live.owner === "person" && !this.talker(callId) ? "talk" : "listen");
    return { sdp, session, mode: leg.mode, talker: talker?.who ?? null };
  }

  /**
   * The console a coach would whisper to; a 409 saying why there is none. One coach at a time: the talker's
   * side queue carries one stream (two would be queued one after the other, not summed).
   */
  private coachable(callId: string): ConsoleLeg {
    const talker = this.talker(callId);
    if (!talker)
      throw conflict(
        `Call '${callId}' has no person talking on it from a console: coaching whispers to the person who has the call (after a takeover, or on their own call). Listen instead, or wait until someone takes it over`,
        "no_talker",
      );
    for (const l of this.legs.values())
      if (l.coaching === talker)
        throw conflict(
          `Call '${callId}' already has a coach: one console at a time can whisper to its person. Listen instead, or coach once the other console stops`,
          "already_coached",
        );
    return talker;
  }

  /** The leg whispers to `talker`'s person and hears the call as a listener does. */
  private coach(leg: ConsoleLeg, talker: ConsoleLeg): void {
    this.setMode(leg, "listen");
    leg.mode = "coach";
    leg.coaching = talker;
    leg.rtp.whisper(talker.rtp);
    this.o.coachChanged?.({
      type: "call.coach",
      call_id: leg.callId,
      session: leg.session,
      on: true,
      reason: "joined",
    });
  }

  /** The coach's person no longer talks on the call: it stops whispering and listens. */
  private stopCoaching(leg: ConsoleLeg, reason: CallCoachEvent["reason"]): void {
    leg.rtp.whisper(null);
    leg.coaching = null;
    leg.mode = "listen";
    this.o.coachChanged?.({ type: "call.coach", call_id: leg.callId, session: leg.session, on: false, reason });
  }

  /** Coaches whose talker is gone or no longer talks stop whispering. */
  private checkCoaches(callId: string, reason: CallCoachEvent["reason"]): void {
    for (const l of this.legs.values())
      if (l.callId === callId && l.coaching && (l.coaching.mode !== "talk" || !this.legs.has(l.coaching.session)))
        this.stopCoaching(l, reason);
  }

  /**
   * Candidates the browser trickled after its offer (RFC 8840, WHIP's PATCH). "restart" when they are for
   * another ICE session (new credentials: an ICE restart, which this engine does not do); unknown sessions
   * are a 404, a mid the offer did not have a 400.
   */
  trickle(session: string, callId: string, frag: TrickledCandidates): "ok" | "restart" {
    const leg = this.legs.get(session);
    if (!leg || leg.callId !== callId) throw notFound("Console audio session", session);
    if (frag.ufrag !== null && leg.ice.ufrag !== null && frag.ufrag !== leg.ice.ufrag) return "restart";
    const unknown = frag.candidates.find((c) => c.mid !== null && !leg.ice.mids.includes(c.mid));
    if (unknown)
      throw invalid(
        `The ICE fragment names mid '${unknown.mid}', which the offer does not have`,
        "invalid_ice_fragment",
      );
    // The end of the browser's candidates is accepted and not passed on (webrtc-transport.ts says why).
    leg.rtp.addIceCandidates(frag.candidates);
    return "ok";
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
  ownerChanged(callId: string, session?: string): "talk" | "listen" | null {
    const live = this.o.calls.liveCall(callId);
    const person = live?.owner === "person";
    let chosen: ConsoleLeg | undefined;
    if (session !== undefined) {
      chosen = this.legs.get(session);
      if (!chosen) throw notFound("Console audio session", session);
      if (chosen.callId !== callId) throw conflict(`That console audio session is on another call`);
    }
    const onCall = [...this.legs.values()].filter((l) => l.callId === callId);
    const previous = onCall.find((l) => l.mode === "talk");
    // A coach becomes the talker only when its session is named.
    chosen ??= previous ?? onCall.find((l) => l.mode !== "coach");
    for (const l of onCall) {
      if (l.mode === "coach" && l !== chosen) continue;
      const mode: ConsoleMode = person && l === chosen ? "talk" : "listen";
      if (l.mode === "coach") this.stopCoaching(l, "talker_changed");
      if (l.mode !== mode) this.setMode(l, mode);
    }
    this.checkCoaches(callId, person ? "talker_changed" : "handed_back");
    return chosen ? (chosen.mode === "talk" ? "talk" : "listen") : null;
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

  /** Whether `session` is a console's audio on `callId`. */
  has(session: string, callId: string): boolean {
    return this.legs.get(session)?.callId === callId;
  }

  /** The console hung up its audio (the call goes on). False when no such session is live. */
  leave(session: string, callId?: string): boolean {
    const leg = this.legs.get(session);
    if (!leg || (callId !== undefined && leg.callId !== callId)) return false;
    this.legs.delete(session);
    leg.stopHearing?.();
    leg.unmonitor();
    if (leg.coaching) leg.rtp.whisper(null);
    leg.rtp.close();
    if (leg.mode === "talk") this.checkCoaches(leg.callId, "talker_left");
    return true;
  }

  /** The call ended: its consoles' legs close (coaches first: nobody is told the talker left a call that ended). */
  callEnded(callId: string): void {
    this.heldCalls.delete(callId);
    const onCall = [...this.legs.entries()].filter(([, l]) => l.callId === callId);
    onCall.sort(([, a], [, b]) => Number(b.mode === "coach") - Number(a.mode === "coach"));
    for (const [session] of onCall) this.leave(session);
  }

  close(): void {
    for (const session of [...this.legs.keys()]) this.leave(session);
  }
}

/** The offer's ICE ufrag and its media sections' mids (what a trickled fragment must match). */
function offerIce(offer: string): { ufrag: string | null; mids: string[] } {
  return {
    ufrag: /^a=ice-ufrag:(\S+)/m.exec(offer)?.[1] ?? null,
    mids: [...offer.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]),
  };
}
