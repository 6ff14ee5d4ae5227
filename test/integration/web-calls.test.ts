import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { startLlmServer, lastOf, type LlmServer } from "../support/llm-server.js";
import { readWav, toTelephoneWav } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { energySince, testBrowser } from "../support/webrtc-browser.js";
import { waitFor } from "../helpers/wait.js";
import { startWebhookReceiver } from "../support/webhook-receiver.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

// Web calls (features.md §7, issue #16 point 2) through the real engine: POST /web-calls gives the token,
// the "browser" (an independent werift peer speaking WebRTC as Chromium does, test/support/webrtc-browser.ts)
// sends its offer to server_url, and the assistant (Silero VAD, PocketSphinx, the LLM double, Flite) runs on
// the WebRTC leg in the media worker. Chromium itself: test/e2e/web-call.test.ts.
describe.skipIf(!hasPocketsphinx)("web calls (skipped only where pocketsphinx is not installed)", () => {
  let t: TestEngine;
  let llm: LlmServer;
  const speech = join(mkdtempSync(join(tmpdir(), "webcall-")), "speech.wav");
  const assistant = () => ({
    name: "Web helper",
    first_message: "Hello, this is the web assistant. How can I help?",
    stt_config: { provider: "pocketsphinx", language: "en" },
    llm_config: { provider: "openai_compatible", model: "double", base_url: llm.url },
    tts_config: { provider: "local", voice_id: "flite-kal" },
  });

  beforeAll(async () => {
    toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), speech, 0, 0.2);
    llm = await startLlmServer(() => ({ text: "Sure, I can help you with that right away." }));
    t = await startTestEngine({ sipPort: null });
  });
  afterAll(async () => {
    await t?.stop();
    await llm?.close();
  });

  const create = (body: unknown, path = "/api/v1/web-calls") => t.api(path, { method: "POST", json: body });
  const connect = (url: string, token: string, sdp: string) =>
    fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" },
      body: sdp,
    });

  it("POST /web-calls: a token and server_url for the browser, and a web call row with no phone fields", async () => {
    const res = await create({ assistant: assistant() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      token: expect.stringMatching(/^[\w-]{40,}$/),
      server_url: `${t.url}/api/v1/web-calls/connect`,
      call_id: expect.any(String),
    });
    const call = (await (await t.api(`/api/v1/calls/${body.call_id}`)).json()) as any;
    expect(call).toMatchObject({
      direction: "web",
      status: "connecting",
      caller_phone: null,
      phone_number: null,
      assistant_phone: null,
      agent_name: "Web helper",
    });
    // The documented path of the cloud's web-call host answers the same, with the same key.
    expect((await create({ assistant: assistant() }, "/v1/web-calls")).status).toBe(201);
    expect((await fetch(`${t.url}/v1/web-calls`, { method: "POST" })).status).toBe(401);
    // Bad input: a clear 400 naming what is wrong.
    const both = await create({ assistant: assistant(), assistant_id: "00000000-0000-4000-8000-000000000000" });
    expect(both.status).toBe(400);
    expect(((await both.json()) as any).message).toMatch(/assistant_id.*assistant|not both/);
    const none = await create({});
    expect(none.status).toBe(400);
  });

  it("the browser joins with its token once; a wrong or reused token, or a body that is no SDP offer, is refused", async () => {
    const { token, server_url } = (await (await create({ assistant: assistant() })).json()) as any;
    const b = await testBrowser();
    try {
      expect((await connect(server_url, "not-a-token", b.offer)).status).toBe(401);
      const notSdp = await fetch(server_url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" },
        body: "hello",
      });
      expect(notSdp.status).toBe(400);
      expect(((await notSdp.json()) as any).error).toBeDefined();
      const ok = await connect(server_url, token, b.offer);
      expect(ok.status).toBe(201);
      expect(ok.headers.get("content-type")).toMatch(/^application\/sdp/);
      expect(ok.headers.get("location")).toMatch(/^\/api\/v1\/web-calls\/sessions\/[\w-]+$/);
      await ok.text();
      const again = await connect(server_url, token, b.offer);
      expect(again.status).toBe(401);
      expect(((await again.json()) as any).message).toMatch(/used already|expired/);
    } finally {
      await b.close();
    }
  });

  it("a whole web call: greeting heard in the browser, the caller's words reach the model, its reply comes back, the browser hangs up; summary, recording and the signed end-of-call report (call.type web_call) follow", async () => {
    const hooks = await startWebhookReceiver("whsec_web_call");
    const { token, server_url, call_id } = (await (
      await create({
        assistant: {
          ...assistant(),
          recording_enabled: true,
          webhook_url: hooks.url,
          webhook_secret: "whsec_web_call",
          webhook_events: ["end-of-call-report"],
        },
      })
    ).json()) as any;
    const b = await testBrowser();
    try {
      const joined = await connect(server_url, token, b.offer);
      expect(joined.status).toBe(201);
      const location = joined.headers.get("location")!;
      await b.pc.setRemoteDescription({ type: "answer", sdp: await joined.text() });
      await waitFor(() => b.pc.connectionState === "connected", 10_000);
      await waitFor(() => t.store.calls.get(call_id)?.status === "in-progress", 5000);

      // The first message, as audio in the browser.
      const start = performance.now();
      await waitFor(() => energySince(b.heard, start) > 500, 10_000);
      await waitFor(() => (t.store.calls.get(call_id)?.messages.length ?? 0) >= 1, 10_000);
      // Let the greeting finish, then speak.
      await waitFor(() => {
        const last = b.heard.at(-1);
        return last !== undefined && energySince(b.heard.slice(-10), 0) < 100;
      }, 15_000);
      await b.speak(readWav(speech).samples);
      const spoke = performance.now();
      await waitFor(() => llm.requests.some((r) => /comparatively|modern/i.test(lastOf(r, "user") ?? "")), 20_000);
      await waitFor(() => energySince(b.heard, spoke + 300) > 500, 15_000);

      // The browser hangs up (WHIP DELETE): the call ends as the caller's hang-up, its transcript kept.
      const del = await fetch(`${t.url}${location}`, { method: "DELETE" });
      expect(del.status).toBe(200);
      await waitFor(() => t.store.calls.get(call_id)?.status === "ended", 5000);
      const call = t.store.calls.get(call_id)!;
      expect(call).toMatchObject({ direction: "web", end_reason: "user_hangup" });
      expect(call.messages.map((m) => m.role)).toEqual(expect.arrayContaining(["assistant", "user"]));
      expect(call.messages.find((m) => m.role === "user")!.content).toMatch(/comparatively|modern/i);
      expect((call.metrics as any)?.media?.packets_received).toBeGreaterThan(50);
      expect((await fetch(`${t.url}${location}`, { method: "DELETE" })).status).toBe(404);

      // As after a phone call: the summary, the recording (both sides, stereo) and the signed report.
      await waitFor(() => !!t.store.calls.get(call_id)?.summary && hooks.received.length > 0, 20_000);
      const done = t.store.calls.get(call_id)!;
      expect(done.recording_url).toBe(`${t.url}/api/v1/calls/${call_id}/recording`);
      const wav = await t.api(`/api/v1/calls/${call_id}/recording`);
      expect(wav.status).toBe(200);
      expect(wav.headers.get("content-type")).toBe("audio/wav");
      const bytes = Buffer.from(await wav.arrayBuffer());
      expect(bytes.toString("ascii", 0, 4)).toBe("RIFF");
      expect(bytes.readUInt16LE(22)).toBe(2);
      expect(bytes.length / (bytes.readUInt32LE(28) || 1)).toBeGreaterThan(3); // seconds of audio
      const [report] = hooks.received;
      expect(report.verified).toBe(true);
      expect(report.body.message).toMatchObject({
        type: "end-of-call-report",
        call: { id: call_id, type: "web_call" },
        customer: { number: null },
        summary: done.summary,
        end_reason: "user_hangup",
        recording_url: done.recording_url,
      });
    } finally {
      await b.close();
      await hooks.close();
    }
  }, 60_000);

  it("barge-in over WebRTC: the caller talks over a long reply and the browser stops hearing it", async () => {
    const long =
      "Let me tell you about our opening hours. We are open from nine in the morning until five in the afternoon on weekdays. On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed, but you can always leave a message.";
    const { token, server_url, call_id } = (await (
      await create({ assistant: { ...assistant(), first_message: long } })
    ).json()) as any;
    const b = await testBrowser();
    try {
      const joined = await connect(server_url, token, b.offer);
      await b.pc.setRemoteDescription({ type: "answer", sdp: await joined.text() });
      await waitFor(() => b.pc.connectionState === "connected", 10_000);
      // Two seconds into the long greeting, the caller speaks.
      const start = performance.now();
      await waitFor(() => energySince(b.heard, start) > 500, 10_000);
      await new Promise((r) => setTimeout(r, 2000));
      const spoke = performance.now();
      void b.speak(readWav(speech).samples);
      await waitFor(() => t.store.calls.events(call_id).some((e) => e.type === "interruption"), 10_000).catch((e) => {
        throw new Error(
          `${e.message}: ${JSON.stringify({ events: t.store.calls.events(call_id), messages: t.store.calls.get(call_id)?.messages })}`,
        );
      });
      // Our audio stops on the wire: the browser hears no speech from ~a few hundred ms after the caller started.
      const quietFrom = await waitFor(() => {
        const recent = b.heard.filter((h) => h.at > spoke);
        for (let i = 0; i + 10 <= recent.length; i++)
          if (energySince(recent.slice(i, i + 10), 0) < 50) return recent[i].at;
        return undefined;
      }, 5000);
      expect(quietFrom - spoke).toBeLessThan(1500);
      expect(t.store.calls.get(call_id)!.messages.find((m) => m.role === "assistant")?.content ?? "").not.toBe(long);
    } finally {
      await b.close();
    }
  }, 60_000);
});
