import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { startLlmServer, type LlmServer } from "../support/llm-server.js";
import { heardFrom, maxCrossCorrelation, readWav, rms, toTelephoneWav, windowedCorrelation } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { rtpPair, type HeardFrame } from "../support/rtp-peer.js";
import { energySince, testBrowser, type TestBrowser } from "../support/webrtc-browser.js";
import { waitFor } from "../helpers/wait.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

// A person's audio on a call over WebRTC (issue #16): the console's browser (an independent werift peer that
// speaks WebRTC as Chromium does; Chromium itself is in test/e2e) joins a live call with POST /calls/{id}/webrtc.
// The caller is a real RTP peer on loopback (G.711); the console's leg is PCMU or, as a browser's now is, Opus,
// so the relays between the two legs run from one codec to the other. Audio is compared sample by sample.
describe("console audio over WebRTC (POST /calls/{id}/webrtc)", () => {
  let t: TestEngine;
  let llm: LlmServer;
  const work = mkdtempSync(join(tmpdir(), "console-webrtc-"));
  const personWav = join(work, "person.wav");
  const callerWav = join(work, "caller.wav");
  let seq = 0;
  const browsers: TestBrowser[] = [];

  beforeAll(async () => {
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), personWav, 0, 0.2);
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), callerWav, 0, 0.2);
    llm = await startLlmServer(() => ({ text: "Okay." }));
    t = await startTestEngine({ sipPort: null });
  }, 60_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await t?.stop();
    await llm?.close();
  });

  /** A call in progress on a real RTP pair; `assistant` undefined: a person's call (no assistant runs). */
  async function call(assistant?: Record<string, unknown>) {
    const id = `call_console_${++seq}`;
    t.engine.calls.create({
      id,
      status: "connecting",
      direction: "inbound",
      caller_phone: "+15550001000",
      assistant_config: assistant
        ? {
            name: "Console test",
            stt_config: { provider: "pocketsphinx", language: "en" },
            llm_config: { provider: "openai_compatible", model: "local-test", base_url: llm.url },
            tts_config: { provider: "local", voice_id: "flite-kal" },
            ...assistant,
          }
        : null,
    });
    t.engine.calls.transition(id, "in-progress");
    const pair = await rtpPair();
    t.engine.calls.liveCall(id)!.answer(pair.leg);
    return { id, pair };
  }

  /** The browser joins the call's audio (offering Opus and PCMU with `opus`): its answer applied, connected. */
  async function joinCall(callId: string, opus = false) {
    const browser = await testBrowser({ opus });
    browsers.push(browser);
    const res = await t.api(`/api/v1/calls/${callId}/webrtc`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: browser.offer,
    });
    expect(res.status).toBe(201);
    const mode = res.headers.get("x-console-mode");
    const location = res.headers.get("location")!;
    await browser.pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    await waitFor(() => browser.pc.connectionState === "connected", 10_000);
    expect(browser.codec()).toBe(opus ? "opus" : "PCMU");
    return { browser, mode, location, session: location.split("/").pop()! };
  }

  it.each([
    { codec: "PCMU", opus: false, min: 0.8 },
    { codec: "Opus", opus: true, min: 0.7 },
  ])(
    "a person's call, console on $codec: the console talks, the caller hears it and the console hears the caller (correlation > $min each way); while we hold the caller, the microphone does not reach them",
    async ({ opus, min }) => {
      const c = await call();
      expect(t.engine.calls.liveCall(c.id)!.owner).toBe("person");
      const { browser, mode } = await joinCall(c.id, opus);
      expect(mode).toBe("talk");

      const person = readWav(personWav).samples;
      const at = performance.now();
      await browser.speak(person);
      await new Promise((r) => setTimeout(r, 400));
      const atCaller = heardFrom(c.pair.caller.heard as HeardFrame[], at);
      expect(windowedCorrelation(person, atCaller, 0)).toBeGreaterThan(min);

      const caller = readWav(callerWav).samples;
      const at2 = performance.now();
      c.pair.caller.play(caller);
      await new Promise((r) => setTimeout(r, (caller.length / 8000) * 1000 + 600));
      const atConsole = heardFrom(browser.heard, at2);
      expect(windowedCorrelation(caller, atConsole, 0)).toBeGreaterThan(min);

      // While we hold the caller (the person may be consulting someone), the microphone does not reach them.
      t.engine.bus.publish({ type: "call.hold", call_id: c.id, on_hold: true, by: "us" });
      await new Promise((r) => setTimeout(r, 200));
      const held = performance.now();
      await browser.speak(person.subarray(0, 16000));
      await new Promise((r) => setTimeout(r, 300));
      expect(c.pair.caller.heardSince(held).filter((f) => rms(f.pcm) > 300)).toHaveLength(0);
      t.engine.bus.publish({ type: "call.hold", call_id: c.id, on_hold: false, by: "us" });
      await new Promise((r) => setTimeout(r, 200));
      const resumed = performance.now();
      await browser.speak(person.subarray(0, 16000));
      await new Promise((r) => setTimeout(r, 300));
      expect(c.pair.caller.heardSince(resumed).filter((f) => rms(f.pcm) > 300).length).toBeGreaterThan(10);
      c.pair.close();
    },
    60_000,
  );

  it.skipIf(!hasPocketsphinx)(
    "an assistant's call, console on Opus: the console listens to both sides and is not heard; after a takeover naming its session it talks (written down as the person), no longer hears itself, and after the hand-back listens again while the assistant answers with the summary (skipped only where pocketsphinx is not installed)",
    async () => {
      const c = await call({
        first_message:
          "Hello, you are through to the console test line. This greeting goes on for a while so that the console can hear it.",
      });
      const { browser, mode, session } = await joinCall(c.id, true);
      expect(mode).toBe("listen");
      // The assistant's greeting reaches the listening console.
      await waitFor(() => energySince(browser.heard, 0) > 50, 10_000);

      // Its microphone is not on the call while the assistant has it.
      const beforeHeard = c.pair.caller.heard.length;
      const mutedAt = performance.now();
      const person = readWav(personWav).samples;
      const spoken = browser.speak(person.subarray(0, 8000 * 2));
      await spoken;
      const atCaller = c.pair.caller.heard.slice(beforeHeard).filter((f) => f.at > mutedAt);
      // What the caller heard meanwhile is the assistant's greeting, not the person: no correlation with it.
      expect(maxCrossCorrelation(person.subarray(0, 16000), heardFrom(atCaller, 0), 1600).value).toBeLessThan(0.5);

      const res = await t.api(`/api/v1/calls/${c.id}/takeover`, { method: "POST", json: { session } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ console_mode: "talk" });
      await new Promise((r) => setTimeout(r, 300));

      const at = performance.now();
      await browser.speak(person);
      await new Promise((r) => setTimeout(r, 400));
      const heard = heardFrom(c.pair.caller.heard, at);
      expect(windowedCorrelation(person, heard, 0)).toBeGreaterThan(0.7);
      // The talking console does not get its own voice back.
      const selfEcho = heardFrom(browser.heard, at);
      expect(selfEcho.length === 0 || maxCrossCorrelation(person, selfEcho, 1600).value < 0.3).toBe(true);

      // A second takeover is refused: one owner at a time.
      const again = await t.api(`/api/v1/calls/${c.id}/takeover`, { method: "POST", json: {} });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ message: expect.stringContaining("already taken over") });

      // The person's words over WebRTC are written down as theirs, for the hand-back.
      await waitFor(() => t.store.calls.events(c.id).some((e) => e.type === "operator_line"), 15_000);

      // Hand back: the console listens again, and the caller no longer hears its microphone.
      const asked = llm.requests.length;
      expect((await t.api(`/api/v1/calls/${c.id}/handback`, { method: "POST" })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      const back = performance.now();
      await browser.speak(person.subarray(0, 16000));
      await new Promise((r) => setTimeout(r, 400));
      expect(
        maxCrossCorrelation(person.subarray(0, 16000), heardFrom(c.pair.caller.heard, back), 1600).value,
      ).toBeLessThan(0.5);
      // The caller speaks: the assistant answers, and its request carries what the person said.
      c.pair.caller.play(readWav(callerWav).samples);
      await waitFor(() => llm.requests.length > asked, 20_000);
      expect(JSON.stringify(llm.requests.at(-1))).toContain("Colleague:");
      c.pair.close();
    },
    60_000,
  );

  it("bad requests get clear errors; leaving and the call's end close the console's leg", async () => {
    const c = await call();
    const wrongType = await t.api(`/api/v1/calls/${c.id}/webrtc`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "v=0",
    });
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({
      error: expect.any(String),
      message: expect.stringContaining("Content-Type"),
    });
    const notSdp = await t.api(`/api/v1/calls/${c.id}/webrtc`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: "hello",
    });
    expect(notSdp.status).toBe(400);
    const unknown = await t.api(`/api/v1/calls/call_nope/webrtc`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: (await testBrowser().then((b) => (browsers.push(b), b))).offer,
    });
    expect(unknown.status).toBe(404);
    const noKey = await fetch(`${t.url}/api/v1/calls/${c.id}/webrtc`, {
      method: "POST",
      headers: { "content-type": "application/sdp" },
      body: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n",
    });
    expect(noKey.status).toBe(401);

    const { browser, location } = await joinCall(c.id);
    expect((await t.api(location.replace(/[^/]+$/, "x".repeat(32)), { method: "DELETE" })).status).toBe(404);
    expect((await t.api(location, { method: "DELETE" })).status).toBe(200);
    // Its leg is gone: the caller's words no longer reach it.
    await new Promise((r) => setTimeout(r, 200));
    const at = performance.now();
    c.pair.caller.play(readWav(callerWav).samples.subarray(0, 8000));
    await new Promise((r) => setTimeout(r, 1500));
    expect(energySince(browser.heard, at)).toBeLessThan(5);

    const second = await joinCall(c.id);
    expect(second.mode).toBe("talk");
    // The caller hangs up: the console's leg closes with the call.
    await waitFor(() => second.browser.heard.length > 10, 5000);
    t.engine.calls.transition(c.id, "ended", { end_reason: "user_hangup" });
    await new Promise((r) => setTimeout(r, 300));
    const packets = second.browser.heard.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(second.browser.heard.length).toBe(packets);
    c.pair.close();
  }, 60_000);
});
