import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { onlyTrunkTo } from "../../helpers/net-telephony.js";
import { startLlmServer, type LlmServer } from "../../support/llm-server.js";
import { readWav, toTelephoneWav, windowedCorrelation } from "../../support/audio.js";
import { SHARED } from "../../support/kamailio.js";
import { freeUdpPort } from "../../support/ports.js";
import { testBrowser } from "../../support/webrtc-browser.js";
import { waitFor } from "../../helpers/wait.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");
const GREETING =
  "Hello, this is the assistant of the dental practice. This greeting goes on for a good while, so that a person at the console can take the call over while it is still playing.";
const REPLY = "Thank you, I will book that for you now.";

const rms = (pcm: Int16Array) => Math.sqrt(pcm.reduce((e, s) => e + s * s, 0) / Math.max(1, pcm.length));

// Issue #16 "Takeover and hand-back on a live assistant call with baresip": the engine calls baresip (the
// customer, on a SIP trunk) with an assistant; the console (a werift peer speaking WebRTC as Chromium does)
// listens, takes the call over and talks, then hands it back. What the customer heard is baresip's own
// recording of the call.
describe.skipIf(!hasBaresip || !hasPocketsphinx)(
  "takeover and hand-back over WebRTC on a call with baresip (skipped only where baresip or pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    const work = mkdtempSync(join(tmpdir(), "takeover-baresip-"));
    const personWav = join(work, "person.wav");
    const customerWav = join(work, "customer.wav");

    beforeAll(async () => {
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), personWav, 0.2, 1);
      // The customer is quiet for 14 s (greeting, takeover, the person, the hand-back), then speaks.
      const speech = join(work, "speech.wav");
      toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0008.wav"), speech, 0, 0);
      const r = spawnSync("sox", [speech, customerWav, "pad", "14", "12"]);
      expect(r.status, String(r.stderr)).toBe(0);
      llm = await startLlmServer(() => ({ text: REPLY }));
      t = await startTestEngine();
    }, 60_000);
    afterAll(async () => {
      await t?.stop();
      await llm?.close();
    });

    it("after takeover the assistant is silent and the person's audio reaches baresip; after hand-back the assistant speaks again and its next model request carries the summary of the person's part", async () => {
      const port = await freeUdpPort();
      const customer = await runBaresip({
        account: `<sip:+31612345678@127.0.0.1:${port};transport=udp>;regint=0;answermode=auto`,
        wav: customerWav,
        port,
        seconds: 45,
      });
      try {
        await onlyTrunkTo(t, port, "customer");
        const res = await t.api("/api/v1/calls/outbound", {
          method: "POST",
          json: {
            destination: "+31612345678",
            assistant: {
              name: "Practice",
              first_message: GREETING,
              stt_config: { provider: "pocketsphinx", language: "en" },
              llm_config: { provider: "openai_compatible", model: "double", base_url: llm.url },
              tts_config: { provider: "local", voice_id: "flite-kal" },
            },
          },
        });
        expect(res.status).toBe(200);
        const id = ((await res.json()) as any).call_id as string;
        await waitFor(() => t.store.calls.get(id)!.status === "in-progress", 15_000);
        const answeredAt = Date.now();
        const offset = (at: number) => Math.max(0, Math.round(((at - answeredAt) / 1000) * 8000));

        // The console joins: it listens while the assistant has the call.
        const browser = await testBrowser();
        const joined = await t.api(`/api/v1/calls/${id}/webrtc`, {
          method: "POST",
          headers: { "content-type": "application/sdp" },
          body: browser.offer,
        });
        expect(joined.status).toBe(201);
        expect(joined.headers.get("x-console-mode")).toBe("listen");
        const session = joined.headers.get("location")!.split("/").pop()!;
        await browser.pc.setRemoteDescription({ type: "answer", sdp: await joined.text() });
        await waitFor(() => browser.pc.connectionState === "connected", 10_000);
        await new Promise((r) => setTimeout(r, 1500));

        // Takeover, naming the console's session: it talks from now on.
        const took = await t.api(`/api/v1/calls/${id}/takeover`, { method: "POST", json: { session } });
        expect(took.status).toBe(200);
        expect(await took.json()).toMatchObject({ console_mode: "talk" });
        const tookAt = Date.now();
        const asked = llm.requests.length;
        await new Promise((r) => setTimeout(r, 1500));
        const person = readWav(personWav).samples;
        const spokeAt = Date.now();
        await browser.speak(person);
        // The person's words are written down (PocketSphinx) before the hand-back.
        await waitFor(() => t.store.calls.events(id).some((e) => e.type === "operator_line"), 15_000);
        expect(llm.requests.length).toBe(asked);

        const back = await t.api(`/api/v1/calls/${id}/handback`, { method: "POST" });
        expect(back.status).toBe(200);
        // The customer speaks (from 14 s): the assistant answers, asked with the summary of the person's part.
        await waitFor(() => llm.requests.length > asked, 25_000);
        expect(JSON.stringify(llm.requests.at(-1))).toContain("Colleague:");
        const replied = await waitFor(
          () => t.store.calls.get(id)!.messages.find((m) => m.role === "assistant" && m.content === REPLY),
          15_000,
        );
        await new Promise((r) => setTimeout(r, 1500));
        await t.api(`/api/v1/calls/${id}/control`, { method: "POST", json: { type: "end-call" } });
        await waitFor(() => t.store.calls.get(id)!.status === "ended", 10_000);
        await browser.close();
        // baresip closes its recording at our BYE; it would otherwise wait for its own timer to quit.
        await new Promise((r) => setTimeout(r, 500));
        customer.proc.kill("SIGTERM");
        await customer.exited;

        // baresip's recording of what it heard (the longest file, should its recorder have started a second).
        const files = customer.recordings("dec").map((f) => readWav(f).samples);
        const heard = files.reduce((a, b) => (b.length > a.length ? b : a));
        // Between the takeover and the person's first words: nothing of the greeting any more.
        expect(rms(heard.subarray(offset(tookAt) + 3200, offset(spokeAt) - 1600))).toBeLessThan(150);
        // The person's voice reached baresip.
        expect(windowedCorrelation(person, heard, offset(spokeAt), 6000)).toBeGreaterThan(0.8);
        // After the hand-back the assistant speaks again: after the person's words and the quiet that followed,
        // the next loud stretch baresip heard is its reply (nothing else sends audio then).
        const after = offset(spokeAt) + person.length + 8000;
        let loud = 0;
        for (let i = after; i + 1600 <= heard.length; i += 1600)
          loud = Math.max(loud, rms(heard.subarray(i, i + 1600)));
        expect(
          loud,
          `baresip's recording: ${heard.length / 8000} s, the person stopped at ${after / 8000} s`,
        ).toBeGreaterThan(300);
        expect(replied.content).toBe(REPLY);
      } finally {
        customer.proc.kill("SIGTERM");
      }
    }, 90_000);
  },
);
