import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { heardFrom, maxCrossCorrelation, readWav, rms, toTelephoneWav, windowedCorrelation } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { rtpPair, type HeardFrame } from "../support/rtp-peer.js";
import { energySince, testBrowser, type TestBrowser } from "../support/webrtc-browser.js";
import { waitFor } from "../helpers/wait.js";
import { startLlmServer, type LlmServer } from "../support/llm-server.js";
import { iceCredentials, iceFragment } from "../../renderer/src/audio/trickle.js";
import type { CallCoachEvent } from "../../main/engine/domain/call.js";
import { mediaWorker } from "../../main/engine/media/worker/host.js";

const TRICKLE = "application/trickle-ice-sdpfrag";
const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

// Two additions to a console's audio over WebRTC (issue #16), with werift peers as the browsers (Chromium is in
// test/e2e/console-softphone.test.ts) and a real RTP peer as the caller on loopback:
// - trickle ICE (WHIP style, RFC 9725 §4.3): the offer goes without candidates, they follow by PATCH;
// - coaching: a second console whose microphone only the talking console hears, never the caller.
describe("console audio: trickle ICE and coaching", () => {
  let t: TestEngine;
  let llm: LlmServer;
  const work = mkdtempSync(join(tmpdir(), "console-coach-"));
  const personWav = join(work, "person.wav");
  const callerWav = join(work, "caller.wav");
  const coachWav = join(work, "coach.wav");
  let seq = 0;
  const browsers: TestBrowser[] = [];
  const coachEvents: CallCoachEvent[] = [];

  beforeAll(async () => {
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), personWav, 0, 0.2);
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), callerWav, 0, 0.2);
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), coachWav, 0, 0.2);
    llm = await startLlmServer(() => ({ text: "Okay." }));
    t = await startTestEngine({ sipPort: null });
    t.engine.bus.subscribe((e) => {
      if (e.type === "call.coach") coachEvents.push(e);
    });
  }, 60_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await t?.stop();
    await llm?.close();
  });

  /** A person's call in progress on a real RTP pair (no assistant runs). */
  async function personCall() {
    const id = `call_coach_${++seq}`;
    t.engine.calls.create({
      id,
      status: "connecting",
      direction: "inbound",
      caller_phone: "+15550001000",
      assistant_config: null,
    });
    t.engine.calls.transition(id, "in-progress");
    const pair = await rtpPair();
    t.engine.calls.liveCall(id)!.answer(pair.leg);
    return { id, pair };
  }

  /** A console joins the call's audio (whole offer, or trickled); the answer applied, connected. */
  async function joinCall(callId: string, opts: { mode?: "coach" | "listen"; trickle?: boolean } = {}) {
    const browser = await testBrowser({ trickle: opts.trickle });
    browsers.push(browser);
    const res = await t.api(`/api/v1/calls/${callId}/webrtc${opts.mode ? `?mode=${opts.mode}` : ""}`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: browser.offer,
    });
    expect(res.status).toBe(201);
    const location = res.headers.get("location")!;
    return { browser, location, mode: res.headers.get("x-console-mode"), answer: await res.text() };
  }

  async function connected(browser: TestBrowser, answer: string) {
    await browser.pc.setRemoteDescription({ type: "answer", sdp: answer });
    await waitFor(() => browser.pc.connectionState === "connected", 10_000);
  }

  const patch = (location: string, body: string, type = TRICKLE) =>
    t.api(location, { method: "PATCH", headers: { "content-type": type }, body });

  it("trickle: an offer without candidates, its candidates by PATCH (204), the answer's candidates kept from the browser: the engine's checks to the trickled candidates connect it, and audio flows both ways (correlation > 0.8)", async () => {
    const c = await personCall();
    const { browser, location, mode, answer } = await joinCall(c.id, { trickle: true });
    expect(mode).toBe("talk");
    expect(browser.offer).not.toMatch(/a=candidate:/);
    expect(browser.candidates.length).toBeGreaterThan(0);
    // The engine keeps its own candidates in the answer (host candidates are known at once)…
    expect(answer).toMatch(/^a=candidate:/m);
    // …which this browser does not use: only the engine's checks towards what the PATCH brought can connect.
    const withoutOurs = answer
      .split("\n")
      .filter((l) => !/^a=(candidate:|end-of-candidates)/.test(l))
      .join("\n");
    const mid = /^a=mid:(\S+)/m.exec(browser.offer)![1];
    const ice = iceCredentials(browser.offer)!;
    const candidates = browser.candidates.map((candidate) => ({ candidate, sdpMid: mid }));
    const sent = await patch(location, iceFragment(ice, candidates, false));
    expect(sent.status).toBe(204);
    const connecting = performance.now();
    await connected(browser, withoutOurs);
    console.log(
      `trickle, the engine's checks only: connected ${(performance.now() - connecting).toFixed(0)} ms after the answer`,
    );
    expect((await patch(location, iceFragment(ice, [], true))).status).toBe(204);

    const person = readWav(personWav).samples;
    const at = performance.now();
    await browser.speak(person);
    await new Promise((r) => setTimeout(r, 400));
    expect(windowedCorrelation(person, heardFrom(c.pair.caller.heard, at), 0)).toBeGreaterThan(0.8);
    const caller = readWav(callerWav).samples;
    const at2 = performance.now();
    c.pair.caller.play(caller);
    await new Promise((r) => setTimeout(r, (caller.length / 8000) * 1000 + 600));
    expect(windowedCorrelation(caller, heardFrom(browser.heard, at2), 0)).toBeGreaterThan(0.8);
    c.pair.close();
  }, 60_000);

  it("trickle: a bad fragment is a 400, an unknown session a 404, another body type a 415, other ICE credentials a 422, no key a 401", async () => {
    const c = await personCall();
    const { browser, location, answer } = await joinCall(c.id, { trickle: true });
    const ice = iceCredentials(browser.offer)!;
    const mid = /^a=mid:(\S+)/m.exec(browser.offer)![1];
    const one = [{ candidate: browser.candidates[0], sdpMid: mid }];

    const garbage = await patch(location, `a=ice-ufrag:${ice.ufrag}\r\nnot a line\r\n`);
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining("not an a= or m= line"),
    });
    const badCandidate = await patch(
      location,
      `a=ice-ufrag:${ice.ufrag}\r\na=candidate:1 1 udp 1 1.2.3.4 70000000 typ host\r\n`,
    );
    expect(badCandidate.status).toBe(400);
    expect(((await badCandidate.json()) as { message: string }).message).toContain("is not an ICE candidate");
    const noUfrag = await patch(location, `a=${browser.candidates[0]}\r\n`);
    expect(noUfrag.status).toBe(400);
    const otherMid = await patch(location, iceFragment(ice, [{ ...one[0], sdpMid: "video7" }], false));
    expect(otherMid.status).toBe(400);
    expect(((await otherMid.json()) as { message: string }).message).toContain("mid 'video7'");

    const wrongType = await patch(location, iceFragment(ice, one, false), "text/plain");
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining(TRICKLE),
    });

    const restart = await patch(location, iceFragment({ ufrag: "Zz9z", pwd: ice.pwd }, one, false));
    expect(restart.status).toBe(422);
    expect(((await restart.json()) as { message: string }).message).toContain("ICE restart");

    const unknown = await patch(location.replace(/[^/]+$/, "x".repeat(32)), iceFragment(ice, one, false));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const otherCall = await patch(location.replace(c.id, "call_nope"), iceFragment(ice, one, false));
    expect(otherCall.status).toBe(404);

    const noKey = await t.api(location, {
      method: "PATCH",
      auth: false,
      headers: { "content-type": TRICKLE },
      body: iceFragment(ice, one, false),
    });
    expect(noKey.status).toBe(401);

    // None of this broke the session: the good fragment still connects it.
    expect((await patch(location, iceFragment(ice, one, true))).status).toBe(204);
    await connected(browser, answer);
    // After the console left, its session is gone.
    expect((await t.api(location, { method: "DELETE" })).status).toBe(200);
    expect((await patch(location, iceFragment(ice, one, true))).status).toBe(404);
    c.pair.close();
  }, 60_000);

  it("coach: its speech reaches the talking console (correlation > 0.8) and not the caller (no loud frame, correlation < 0.3) nor either side of the recording; it hears the person and the caller; when the person's console leaves it only listens (call.coach talker_left)", async () => {
    const c = await personCall();
    const talker = await joinCall(c.id);
    expect(talker.mode).toBe("talk");
    await connected(talker.browser, talker.answer);
    const coach = await joinCall(c.id, { mode: "coach" });
    expect(coach.mode).toBe("coach");
    await connected(coach.browser, coach.answer);
    const coachSession = coach.location.split("/").pop()!;
    expect(coachEvents.filter((e) => e.session === coachSession)).toEqual([
      expect.objectContaining({ call_id: c.id, on: true, reason: "joined" }),
    ]);
    await new Promise((r) => setTimeout(r, 300));

    // The call is recorded meanwhile (caller left, what the call sends right).
    const recording = join(work, `call-${c.id}.wav`);
    c.pair.ours.startRecording(recording);
    const recordedFrom = performance.now();
    // The level at the caller with nobody speaking: what "nothing reached them" is measured against.
    const quietFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1500));
    const quiet = energyOf(c.pair.caller.heardSince(quietFrom));

    const whisper = readWav(coachWav).samples;
    const at = performance.now();
    await coach.browser.speak(whisper);
    await new Promise((r) => setTimeout(r, 500));
    const atTalker = heardFrom(talker.browser.heard, at);
    expect(windowedCorrelation(whisper, atTalker, 0)).toBeGreaterThan(0.8);
    const atCaller = c.pair.caller.heardSince(at);
    expect(atCaller.length).toBeGreaterThan(50); // the caller's line stayed up meanwhile
    expect(atCaller.filter((f) => f.rms > 300)).toHaveLength(0);
    expect(energyOf(atCaller)).toBeLessThanOrEqual(quiet + 5);
    const callerSignal = new Int16Array(atCaller.reduce((n, f) => n + f.pcm.length, 0));
    atCaller.reduce((o, f) => (callerSignal.set(f.pcm, o), o + f.pcm.length), 0);
    expect(maxCrossCorrelation(whisper.subarray(0, 16000), callerSignal, 2400).value).toBeLessThan(0.3);

    // The coach hears the call like a listener: the person, and the caller. (The checks above held this
    // process for a while: the peers' 20 ms clocks catch up in a burst first, which must not carry speech.)
    await settle();
    const person = readWav(personWav).samples;
    const at2 = performance.now();
    await talker.browser.speak(person);
    await new Promise((r) => setTimeout(r, 500));
    expect(windowedCorrelation(person, heardFrom(coach.browser.heard, at2), 0)).toBeGreaterThan(0.8);
    // The recording has the coach on neither side (both silent until the person spoke), and the person on ours.
    c.pair.ours.stopRecording();
    await mediaWorker.recordingComplete(recording);
    const [callerSide, ourSide] = stereoWav(recording);
    const personAt = Math.floor(((at2 - recordedFrom) / 1000) * 8000) - 800;
    expect(personAt).toBeGreaterThan(8000 * 3);
    expect(loudFrames(callerSide.subarray(0, personAt))).toBe(0);
    expect(loudFrames(ourSide.subarray(0, personAt))).toBe(0);
    expect(loudFrames(ourSide.subarray(personAt))).toBeGreaterThan(20);
    const caller = readWav(callerWav).samples;
    await settle();
    const at3 = performance.now();
    c.pair.caller.play(caller);
    await new Promise((r) => setTimeout(r, (caller.length / 8000) * 1000 + 600));
    expect(windowedCorrelation(caller, heardFrom(coach.browser.heard, at3), 0)).toBeGreaterThan(0.8);

    // The person's console leaves: the coach is told, and stays on the call as a listener.
    expect((await t.api(talker.location, { method: "DELETE" })).status).toBe(200);
    await waitFor(() => coachEvents.some((e) => e.session === coachSession && !e.on), 2000);
    expect(coachEvents.filter((e) => e.session === coachSession).at(-1)).toMatchObject({
      call_id: c.id,
      on: false,
      reason: "talker_left",
    });
    await settle();
    const at4 = performance.now();
    c.pair.caller.play(caller.subarray(0, 16000));
    await new Promise((r) => setTimeout(r, 2600));
    expect(windowedCorrelation(caller.subarray(0, 16000), heardFrom(coach.browser.heard, at4), 0)).toBeGreaterThan(0.8);
    // …and what it says still does not reach the caller.
    await settle();
    const at5 = performance.now();
    await coach.browser.speak(whisper.subarray(0, 16000));
    await new Promise((r) => setTimeout(r, 400));
    expect(c.pair.caller.heardSince(at5).filter((f) => f.rms > 300)).toHaveLength(0);

    // A console that joins now talks (nobody else does), and a new coach may whisper to it.
    const next = await joinCall(c.id);
    expect(next.mode).toBe("talk");
    c.pair.close();
  }, 90_000);

  it.skipIf(!hasPocketsphinx)(
    "coach on an assistant's call taken over from the console: the person hears the coach (> 0.8); at the hand-back the coach is told (call.coach handed_back) and the person's console, listening again, no longer hears it (skipped only where pocketsphinx is not installed)",
    async () => {
      const id = `call_coach_${++seq}`;
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550001002",
        assistant_config: {
          name: "Coach test",
          stt_config: { provider: "pocketsphinx", language: "en" },
          llm_config: { provider: "openai_compatible", model: "local-test", base_url: llm.url },
          tts_config: { provider: "local", voice_id: "flite-kal" },
        },
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);

      const person = await joinCall(id);
      expect(person.mode).toBe("listen");
      await connected(person.browser, person.answer);
      // Nobody talks from a console while the assistant has the call.
      const early = await t.api(`/api/v1/calls/${id}/webrtc?mode=coach`, {
        method: "POST",
        headers: { "content-type": "application/sdp" },
        body: (await testBrowser().then((b) => (browsers.push(b), b))).offer,
      });
      expect(early.status).toBe(409);
      const session = person.location.split("/").pop()!;
      const takeover = await t.api(`/api/v1/calls/${id}/takeover`, { method: "POST", json: { session } });
      const took = await takeover.json();
      expect(takeover.status, JSON.stringify(took)).toBe(200);
      expect(took).toMatchObject({ console_mode: "talk" });

      const coach = await joinCall(id, { mode: "coach" });
      expect(coach.mode).toBe("coach");
      await connected(coach.browser, coach.answer);
      const coachSession = coach.location.split("/").pop()!;
      await settle();
      const whisper = readWav(coachWav).samples;
      const at = performance.now();
      await coach.browser.speak(whisper);
      await new Promise((r) => setTimeout(r, 500));
      expect(windowedCorrelation(whisper, heardFrom(person.browser.heard, at), 0)).toBeGreaterThan(0.8);
      expect(pair.caller.heardSince(at).filter((f) => f.rms > 300)).toHaveLength(0);

      expect((await t.api(`/api/v1/calls/${id}/handback`, { method: "POST" })).status).toBe(200);
      await waitFor(() => coachEvents.some((e) => e.session === coachSession && !e.on), 2000);
      expect(coachEvents.filter((e) => e.session === coachSession).at(-1)).toMatchObject({
        call_id: id,
        on: false,
        reason: "handed_back",
      });
      await new Promise((r) => setTimeout(r, 300));
      const after = performance.now();
      await coach.browser.speak(whisper);
      await new Promise((r) => setTimeout(r, 500));
      // The person's console now hears the call (the assistant may speak), but never the coach's words.
      const heard = heardFrom(person.browser.heard, after);
      expect(heard.length === 0 || maxCrossCorrelation(whisper, heard, 2400).value < 0.3).toBe(true);
      expect(pair.caller.heardSince(after).length).toBeGreaterThan(20);
      const atCaller = pair.caller.heardSince(after);
      const callerSignal = new Int16Array(atCaller.reduce((n, f) => n + f.pcm.length, 0));
      atCaller.reduce((o, f) => (callerSignal.set(f.pcm, o), o + f.pcm.length), 0);
      expect(maxCrossCorrelation(whisper, callerSignal, 2400).value).toBeLessThan(0.3);
      pair.close();
    },
    60_000,
  );

  it("coach: 409 with a clear message on a call nobody talks on (no console, or only one that asked to listen); ?mode=other is a 400", async () => {
    const c = await personCall();
    const browser = await testBrowser();
    browsers.push(browser);
    const lonely = await t.api(`/api/v1/calls/${c.id}/webrtc?mode=coach`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: browser.offer,
    });
    expect(lonely.status).toBe(409);
    expect(await lonely.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining("has no person talking on it"),
    });

    // A console that asked only to listen does not talk: still nobody to whisper to.
    const listener = await joinCall(c.id, { mode: "listen" });
    expect(listener.mode).toBe("listen");
    const onlyListening = await t.api(`/api/v1/calls/${c.id}/webrtc?mode=coach`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: (await testBrowser().then((b) => (browsers.push(b), b))).offer,
    });
    expect(onlyListening.status).toBe(409);

    const bogus = await t.api(`/api/v1/calls/${c.id}/webrtc?mode=shout`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: browser.offer,
    });
    expect(bogus.status).toBe(400);
    expect(await bogus.json()).toMatchObject({ error: expect.any(String), message: expect.stringContaining("mode") });
    c.pair.close();
  }, 60_000);
});

/** Both channels of a 16-bit stereo WAV (the engine's call recording). */
function stereoWav(path: string): [Int16Array, Int16Array] {
  const buf = readFileSync(path);
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const size = buf.readUInt32LE(offset + 4);
    if (buf.toString("ascii", offset, offset + 4) === "data") {
      const n = Math.floor(Math.min(size, buf.length - offset - 8) / 4);
      const left = new Int16Array(n);
      const right = new Int16Array(n);
      for (let i = 0; i < n; i++) {
        left[i] = buf.readInt16LE(offset + 8 + i * 4);
        right[i] = buf.readInt16LE(offset + 10 + i * 4);
      }
      return [left, right];
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

/** 20 ms frames louder than speech's quietest syllables (RMS 300). */
function loudFrames(pcm: Int16Array): number {
  let n = 0;
  for (let i = 0; i + 160 <= pcm.length; i += 160) if (rms(pcm.subarray(i, i + 160)) > 300) n++;
  return n;
}

/** A moment for the peers' clocks to catch up after the test held the event loop with a long computation. */
const settle = () => new Promise((r) => setTimeout(r, 300));

function energyOf(frames: HeardFrame[]): number {
  return energySince(frames, 0);
}
