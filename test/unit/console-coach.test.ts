import { describe, expect, it, vi } from "vitest";
import type { CallCoachEvent } from "../../main/engine/domain/call.js";

// Who whispers to whom as a call changes hands, without the media worker: the RTP sessions are stand-ins that
// record what ConsoleLegs asks of them (whisper, feed, monitor). The audio itself is checked in
// test/integration/console-trickle-coach.test.ts.
const sessions: FakeRtp[] = [];
class FakeRtp {
  whisperTo: FakeRtp | null = null;
  feedTo: FakeRtp | null = null;
  candidates: { candidate: string; mid: string | null }[] = [];
  closed = false;
  private gone: (() => void) | null = null;
  constructor() {
    sessions.push(this);
  }
  async openWebRtc(): Promise<string> {
    return "v=0\r\n";
  }
  monitor(): () => void {
    return () => undefined;
  }
  feed(to: FakeRtp | null): void {
    this.feedTo = to;
  }
  whisper(to: FakeRtp | null): void {
    this.whisperTo = to;
  }
  addIceCandidates(c: { candidate: string; mid: string | null }[]): void {
    this.candidates.push(...c);
  }
  on(event: string, fn: () => void): void {
    if (event === "gone") this.gone = fn;
  }
  off(): void {}
  close(): void {
    this.closed = true;
  }
  goAway(): void {
    this.gone?.();
  }
}
vi.mock("../../main/engine/media/rtp-session.js", () => ({ RtpSession: FakeRtp }));

const { ConsoleLegs } = await import("../../main/engine/calls/console-legs.js");

const OFFER =
  "v=0\r\na=ice-ufrag:Ab1x\r\na=ice-pwd:p4ssw0rdp4ssw0rdp4ssw0rd\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n";

function setup(owner: "person" | "assistant" = "person") {
  const call = { owner, media: new FakeRtp() };
  const events: CallCoachEvent[] = [];
  const legs = new ConsoleLegs({
    calls: {
      get: (id: string) => (id === "c1" ? { id } : undefined),
      liveCall: (id: string) => (id === "c1" ? call : undefined),
    } as never,
    host: "127.0.0.1",
    ports: { min: 40000, max: 40100 },
    coachChanged: (e) => events.push(e),
  });
  const rtpOf = (session: string) =>
    (legs as unknown as { legs: Map<string, { rtp: FakeRtp }> }).legs.get(session)!.rtp;
  return { call, legs, events, rtpOf };
}

describe("ConsoleLegs: coaching", () => {
  it("a coach whispers to the talker only, and needs one: 409 on a call nobody talks on", async () => {
    const { legs, rtpOf, events, call } = setup();
    await expect(legs.join("c1", OFFER, { mode: "coach" })).rejects.toMatchObject({
      kind: "conflict",
      message: expect.stringContaining("has no person talking on it"),
    });
    const listener = await legs.join("c1", OFFER, { mode: "listen" });
    expect(listener.mode).toBe("listen");
    await expect(legs.join("c1", OFFER, { mode: "coach" })).rejects.toMatchObject({ kind: "conflict" });
    const talker = await legs.join("c1", OFFER, { who: "Anna" });
    expect(talker.mode).toBe("talk");
    const coach = await legs.join("c1", OFFER, { mode: "coach" });
    expect(coach).toMatchObject({ mode: "coach", talker: "Anna" });
    expect(rtpOf(coach.session).whisperTo).toBe(rtpOf(talker.session));
    // Never on the call: its audio is not fed to the caller's leg.
    expect(rtpOf(coach.session).feedTo).toBeNull();
    expect(rtpOf(talker.session).feedTo).toBe(call.media);
    expect(events).toEqual([{ type: "call.coach", call_id: "c1", session: coach.session, on: true, reason: "joined" }]);
  });

  it("stops when the talker leaves or its browser goes, hands back, or another console takes the call; one coach at a time; a named coach can take the call itself", async () => {
    const first = sessions.length;
    const { legs, rtpOf, events, call } = setup();
    const talker = await legs.join("c1", OFFER);
    const coach = await legs.join("c1", OFFER, { mode: "coach" });
    legs.leave(talker.session);
    expect(events.at(-1)).toMatchObject({ session: coach.session, on: false, reason: "talker_left" });
    expect(rtpOf(coach.session).whisperTo).toBeNull();

    // A new talker; coaching again; the browser of the talker disappears.
    const second = await legs.join("c1", OFFER);
    expect(second.mode).toBe("talk");
    const coach2 = await legs.join("c1", OFFER, { mode: "coach" });
    rtpOf(second.session).goAway();
    expect(events.at(-1)).toMatchObject({ session: coach2.session, on: false, reason: "talker_left" });

    // Hand-back: nobody talks, the coaches stop.
    const third = await legs.join("c1", OFFER);
    const coach3 = await legs.join("c1", OFFER, { mode: "coach" });
    call.owner = "assistant";
    expect(legs.ownerChanged("c1")).toBe("listen");
    expect(events.at(-1)).toMatchObject({ session: coach3.session, on: false, reason: "handed_back" });

    // A takeover naming the third console and a coach on it; one coach at a time.
    call.owner = "person";
    expect(legs.ownerChanged("c1", third.session)).toBe("talk");
    const coach4 = await legs.join("c1", OFFER, { mode: "coach" });
    expect(rtpOf(coach4.session).whisperTo).toBe(rtpOf(third.session));
    await expect(legs.join("c1", OFFER, { mode: "coach" })).rejects.toMatchObject({
      kind: "conflict",
      message: expect.stringContaining("already has a coach"),
    });
    // A takeover naming a listener: the coach of the old talker stops.
    expect(legs.ownerChanged("c1", coach3.session)).toBe("talk");
    expect(events.at(-1)).toMatchObject({ session: coach4.session, on: false, reason: "talker_changed" });
    expect(rtpOf(third.session).feedTo).toBeNull();
    // A takeover naming a coach: it talks (no longer whispering), its talker listens.
    const coach5 = await legs.join("c1", OFFER, { mode: "coach" });
    expect(rtpOf(coach5.session).whisperTo).toBe(rtpOf(coach3.session));
    expect(legs.ownerChanged("c1", coach5.session)).toBe("talk");
    expect(rtpOf(coach5.session).whisperTo).toBeNull();
    expect(rtpOf(coach5.session).feedTo).toBe(call.media);
    expect(rtpOf(coach3.session).feedTo).toBeNull();
    // A takeover without a session keeps the talker, and does not make a coach talk.
    const coach6 = await legs.join("c1", OFFER, { mode: "coach" });
    expect(legs.ownerChanged("c1")).toBe("talk");
    expect(rtpOf(coach6.session).whisperTo).toBe(rtpOf(coach5.session));

    // The call ends: legs close, and nobody is told a talker left a call that is over.
    const told = events.length;
    legs.callEnded("c1");
    expect(events.length).toBe(told);
    const consoles = sessions.slice(first).filter((s) => s !== call.media);
    expect(consoles.length).toBe(9);
    expect(consoles.every((s) => s.closed)).toBe(true);
  });

  it("trickled candidates go to the session's leg; other ICE credentials are a restart; an unknown mid or session is refused", async () => {
    const { legs, rtpOf } = setup();
    const leg = await legs.join("c1", OFFER);
    const c = "candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host";
    expect(
      legs.trickle(leg.session, "c1", { ufrag: "Ab1x", candidates: [{ candidate: c, mid: "0" }], end: false }),
    ).toBe("ok");
    expect(rtpOf(leg.session).candidates).toEqual([{ candidate: c, mid: "0" }]);
    expect(legs.trickle(leg.session, "c1", { ufrag: "Other", candidates: [], end: true })).toBe("restart");
    expect(() =>
      legs.trickle(leg.session, "c1", { ufrag: "Ab1x", candidates: [{ candidate: c, mid: "9" }], end: false }),
    ).toThrow(/mid '9'/);
    expect(() => legs.trickle("nope", "c1", { ufrag: "Ab1x", candidates: [], end: true })).toThrow(/does not exist/);
    expect(() => legs.trickle(leg.session, "c2", { ufrag: "Ab1x", candidates: [], end: true })).toThrow(
      /does not exist/,
    );
  });
});
