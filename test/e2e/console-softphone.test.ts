import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium, openConsole } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { hasSipp, startSippUas } from "../helpers/sipp.js";
import { hasBaresip, runBaresip } from "../helpers/baresip.js";
import { freeUdpPort } from "../support/ports.js";
import { canCapture, startCapture, telephoneEvents, type WirePacket } from "../support/wire-capture.js";
import { envelopeMatch, readWav, rms } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { onlyTrunkTo } from "../helpers/net-telephony.js";
import { waitFor } from "../helpers/wait.js";
import { A_NUMBER, B_NUMBER, attendedUas } from "../helpers/sipp-attended.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "sipp");

/** `wav` converted with sox (rate, mono, 16 bit, then the effects given). */
function sox(src: string, dst: string, rate: number, ...effects: string[]): string {
  const r = spawnSync("sox", [src, "-r", String(rate), "-c", "1", "-b", "16", dst, ...effects]);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
  return dst;
}

/**
 * Where `snippet` best matches inside `reference` (normalized cross-correlation): coarse every 4th lag over
 * the whole reference, then every lag around the best.
 */
function bestMatch(snippet: Int16Array, reference: Int16Array): number {
  const n = snippet.length;
  let snippetEnergy = 0;
  for (const s of snippet) snippetEnergy += s * s;
  const at = (lag: number) => {
    let dot = 0;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const r = reference[lag + i];
      dot += snippet[i] * r;
      e += r * r;
    }
    return e && snippetEnergy ? dot / Math.sqrt(e * snippetEnergy) : 0;
  };
  let best = { lag: 0, value: -1 };
  for (let lag = 0; lag + n <= reference.length; lag += 4) {
    const v = at(lag);
    if (v > best.value) best = { lag, value: v };
  }
  for (let lag = Math.max(0, best.lag - 8); lag <= Math.min(reference.length - n, best.lag + 8); lag++)
    best.value = Math.max(best.value, at(lag));
  return best.value;
}

/** Where `pcm`'s first loud 20 ms starts (0 when none is). */
function speechStart(pcm: Int16Array): number {
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    let e = 0;
    for (let j = i; j < i + 160; j++) e += pcm[j] * pcm[j];
    if (Math.sqrt(e / 160) > 500) return i;
  }
  return 0;
}

/** `seconds` of `pcm` starting `fromS` seconds after its first loud 20 ms. */
function secondsOfSpeech(pcm: Int16Array, fromS: number, seconds = 1): Int16Array {
  const from = speechStart(pcm) + fromS * 8000;
  return pcm.slice(from, from + seconds * 8000);
}

/**
 * The best match of five one-second stretches of what was heard (from 1 to 5 s after its first loud frame):
 * a stretch can hold a glitch of the loaded machine (a late audio callback), and Chromium's microphone
 * processing (noise suppression, gain) reshapes some seconds more than others — measured per second on
 * G.711: 0.45–0.94 within one call, and a CI run whose first three seconds all stayed under 0.8.
 */
const bestOf = (heard: Int16Array, reference: Int16Array) =>
  Math.max(...[1, 2, 3, 4, 5].map((s) => bestMatch(secondsOfSpeech(heard, s), reference)));

// A person's softphone in Chromium (issue #16): the console dials out with no assistant, sends keypad digits,
// holds and resumes, and carries audio both ways over WebRTC, with Chromium's fake devices standing in for the
// person's microphone (a speech WAV) and its devices list.
describe.skipIf(!hasChromium || !hasSipp || !hasBaresip)(
  "a person's softphone in the console (skipped only where chromium, sip-tester or baresip is not installed)",
  () => {
    let t: TestEngine;
    let browser: Browser;
    let page: Page;
    const work = mkdtempSync(join(tmpdir(), "softphone-"));
    // The person's voice: LJ001-0001 (9.7 s of speech; Chromium loops it).
    const micWav = sox(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), join(work, "mic.wav"), 48000);
    const micOnce = readWav(sox(micWav, join(work, "mic-8k.wav"), 8000)).samples;
    // Twice over: what baresip heard may straddle the loop's seam.
    const micRef = new Int16Array(micOnce.length * 2);
    micRef.set(micOnce);
    micRef.set(micOnce, micOnce.length);

    beforeAll(async () => {
      t = await startTestEngine({ consoleDir: CONSOLE_DIR });
      ({ browser, page } = await consoleBrowser(t.apiKey, { micWav }));
      // What the page asked of getUserMedia, in order: which device each call used.
      await page.addInitScript(() => {
        const w = globalThis as unknown as { __gum: string[] };
        w.__gum = [];
        const md = (globalThis as any).navigator.mediaDevices;
        const real = md.getUserMedia.bind(md);
        md.getUserMedia = (c?: any) => {
          w.__gum.push(JSON.stringify(c?.audio ?? null));
          return real(c);
        };
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
    });

    /** Types a number in the dialler and calls it; resolves with the call's id once the person is on the line. */
    async function dial(typed: string): Promise<string> {
      await openConsole(page, `${t.url}/#/calls`);
      await page.getByTestId("dial-number").fill(typed);
      await page.getByTestId("dial").click();
      await page.waitForURL(/#\/calls\/call/);
      const id = decodeURIComponent(/#\/calls\/([^?]+)/.exec(page.url())![1]);
      await expect
        .poll(() => page.getByTestId("audio-mode").getAttribute("data-mode"), { timeout: 15_000 })
        .toBe("talk");
      return id;
    }

    it.skipIf(!canCapture)(
      "dials a sipp UAS from the dialler; the dial pad's 1 2 3 # reach it as RFC 4733; hold and resume are the re-INVITEs sipp checks (sendonly, sendrecv), 'On hold' once acknowledged (skipped where tcpdump cannot capture: not root)",
      async () => {
        const sipp = await startSippUas({
          scenarioXml: readFileSync(join(FIXTURES, "person-hold-uas.xml"), "utf8"),
        });
        await onlyTrunkTo(t, sipp.port);
        // Typed as people type it: spaces and dashes; the dialler sends E.164.
        const id = await dial("+31 6-1234 5678");
        expect(t.store.calls.get(id)).toMatchObject({
          direction: "outbound",
          destination: "+31612345678",
          agent_id: null,
          status: "in-progress",
        });

        await page.getByTestId("keypad").click();
        const capture = await startCapture(`udp and dst port ${sipp.mediaPort}`);
        let wire: WirePacket[];
        try {
          for (const k of ["1", "2", "3", "#"]) await page.getByTestId(`key-${k}`).click();
          await expect.poll(() => page.getByTestId("sent-digits").textContent()).toBe("123#");
          await new Promise((r) => setTimeout(r, 1200));
        } finally {
          wire = await capture.stop();
        }
        // sipp answered telephone-event on payload type 96.
        expect(telephoneEvents(wire, 96)).toEqual([
          { event: 1, ended: true },
          { event: 2, ended: true },
          { event: 3, ended: true },
          { event: 11, ended: true },
        ]);

        await page.getByTestId("hold").click();
        await page.getByTestId("on-hold").waitFor({ timeout: 10_000 });
        await page.screenshot({ path: join(ARTIFACTS, "console-softphone-on-hold.png") });
        expect(await page.getByTestId("hold").textContent()).toContain("Resume");
        await page.getByTestId("hold").click();
        await page.getByTestId("on-hold").waitFor({ state: "detached", timeout: 10_000 });

        await page.getByTestId("hang-up").click();
        await expect.poll(() => page.getByTestId("call-status").textContent(), { timeout: 10_000 }).toContain("ended");
        // sipp exits 0 only if the hold re-INVITE said a=sendonly and the resume a=sendrecv.
        expect(await sipp.exited, sipp.output()).toBe(0);
        expect(t.store.calls.get(id)).toMatchObject({ status: "ended", end_reason: "operator_hangup" });
      },
      60_000,
    );

    it("audio both ways with baresip over WebRTC, the console set to G.711 (cross-correlation > 0.8 with the fake microphone's file, loudness > 0.8 with baresip's); input 2 is used by the next getUserMedia, and when it disappears the call falls back to the default with a toast and its audio goes on", async () => {
      // baresip answers at once, plays JFK, and records what it hears.
      const farWav = sox(join(SHARED, "audio", "en-jfk.wav"), join(work, "far.wav"), 8000, "pad", "1", "30");
      const farRef = readWav(farWav).samples;
      const port = await freeUdpPort();
      const far = await runBaresip({
        account: `<sip:+31612345678@127.0.0.1:${port};transport=udp>;regint=0;answermode=auto`,
        wav: farWav,
        port,
        seconds: 60,
      });
      try {
        await onlyTrunkTo(t, port);
        // "Call audio: G.711" (saved with the devices, read when the console loads): the offer carries no Opus,
        // so the person's voice reaches the trunk without transcoding. The other tests here run on Opus.
        await page.evaluate(() => {
          const store = (globalThis as any).localStorage;
          const saved = JSON.parse(store.getItem("voicedock.audio.devices") ?? "null") ?? {
            profile: "headset",
            profiles: { headset: { input: "", output: "", ring: "" }, speakers: { input: "", output: "", ring: "" } },
          };
          store.setItem("voicedock.audio.devices", JSON.stringify({ ...saved, codec: "g711" }));
        });
        const answered = page.waitForResponse((r) => /\/webrtc(\?|$)/.test(r.url()) && r.request().method() === "POST");
        await dial("+31612345678");
        const answer = await (await answered).text();
        expect(answer).toMatch(/a=rtpmap:\d+ PCM[UA]\/8000/);
        expect(answer).not.toMatch(/opus/i);
        // The page records what it receives, at 8 kHz, from the element that plays the call.
        await page.evaluate(() => {
          const el = (globalThis as any).document.querySelector('[data-testid="console-audio-output"]');
          const ctx = new (globalThis as any).AudioContext({ sampleRate: 8000 });
          const node = ctx.createScriptProcessor(1024, 1, 1);
          const w = globalThis as unknown as { __heard: number[] };
          w.__heard = [];
          node.onaudioprocess = (e: any) => {
            for (const x of e.inputBuffer.getChannelData(0)) w.__heard.push(Math.round(x * 32767));
          };
          ctx.createMediaStreamSource(el.srcObject).connect(node);
          node.connect(ctx.destination);
        });
        await new Promise((r) => setTimeout(r, 7000));
        const heard = Int16Array.from(
          await page.evaluate(() => (globalThis as unknown as { __heard: number[] }).__heard),
        );
        // baresip → person: what the page played follows JFK's speech. Compared as 20 ms loudness, not sample
        // by sample: Chromium's playout (NetEq) stretches and shrinks audio to follow the network, which a
        // loaded machine makes it do, and that moves samples, not the loudness of syllables.
        expect(envelopeMatch(secondsOfSpeech(heard, 1, 4), farRef)).toBeGreaterThan(0.8);

        // Devices: the second fake input, picked mid-call, is what the next getUserMedia asks for.
        await page.getByTestId("devices-toggle").click();
        const inputs = page.getByTestId("device-input").locator("option");
        await expect.poll(() => inputs.count(), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
        const second = (await inputs.nth(2).getAttribute("value"))!;
        await page.getByTestId("device-input").selectOption(second);
        await expect
          .poll(async () => (await page.evaluate(() => (globalThis as unknown as { __gum: string[] }).__gum)).at(-1))
          .toContain(second);
        await page.screenshot({ path: join(ARTIFACTS, "console-softphone-devices.png") });

        // It disappears (unplugged): the console falls back to the default with a toast, still on the line.
        await page.evaluate((gone) => {
          const md = (globalThis as any).navigator.mediaDevices;
          const real = md.enumerateDevices.bind(md);
          md.enumerateDevices = async () => (await real()).filter((d: any) => d.deviceId !== gone);
          md.dispatchEvent(new (globalThis as any).Event("devicechange"));
        }, second);
        await page.locator(".el-message").filter({ hasText: "microphone is gone" }).waitFor({ timeout: 15_000 });
        const gum = await page.evaluate(() => (globalThis as unknown as { __gum: string[] }).__gum);
        expect(gum.at(-1)).not.toContain(second);
        expect(await page.getByTestId("device-input").inputValue()).toBe("");
        expect(await page.getByTestId("audio-mode").getAttribute("data-mode")).toBe("talk");
        await page.screenshot({ path: join(ARTIFACTS, "console-softphone-fallback.png") });
        // The person goes on speaking for a while on the default microphone, then hangs up.
        await new Promise((r) => setTimeout(r, 3000));
        await page.getByTestId("hang-up").click();
        await expect.poll(() => page.getByTestId("call-status").textContent(), { timeout: 10_000 }).toContain("ended");
      } finally {
        far.proc.kill("SIGTERM");
        await far.exited;
      }
      // person → baresip: a second of what baresip heard, found in the microphone's file; and its last two
      // seconds (after the fallback) still carry the person's voice. On G.711 end to end the waveform arrives;
      // through Opus (narrowband, as the engine asks) it measured 0.76–0.81 against PCMU's 0.89: Opus keeps
      // speech, not its exact waveform (the engine's own Opus path: test/integration/webrtc-leg.test.ts).
      const recorded = readWav(far.recordings("dec")[0]).samples;
      expect(bestOf(recorded, micRef)).toBeGreaterThan(0.8);
      expect(rms(recorded.subarray(recorded.length - 16000))).toBeGreaterThan(300);
      // The tests after this one run on Opus again, the console's default.
      await page.evaluate(() => {
        const store = (globalThis as any).localStorage;
        const saved = JSON.parse(store.getItem("voicedock.audio.devices"));
        store.setItem("voicedock.audio.devices", JSON.stringify({ ...saved, codec: "opus" }));
      });
    }, 90_000);

    it("do not disturb in one click refuses a caller with 486; auto-answer picks up the next call without a click", async () => {
      const uacPort = await freeUdpPort();
      await onlyTrunkTo(t, uacPort);
      const call = async (holdMs: number) => {
        const p = spawn(
          "sipp",
          [
            "-sn",
            "uac",
            "-s",
            "+31850835037",
            "-i",
            "127.0.0.1",
            "-p",
            String(uacPort),
            "-mp",
            String(await freeUdpPort(false)),
            "-rtp_echo",
            "-d",
            String(holdMs),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "30s",
            `127.0.0.1:${t.engine.telephony!.sipAddress!.port}`,
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        return { exited: new Promise<number | null>((r) => p.on("exit", (c) => r(c))), output: () => out };
      };
      await openConsole(page, `${t.url}/#/calls`);
      await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");
      await page.getByTestId("dnd-toggle").click();
      await expect.poll(() => page.getByTestId("dnd-toggle").getAttribute("aria-pressed")).toBe("true");
      await page.screenshot({ path: join(ARTIFACTS, "console-dnd-on.png") });
      const refused = await call(1000);
      await refused.exited;
      expect(refused.output()).toMatch(/486/);
      const rows = () => t.store.calls.list({ limit: 5, offset: 0 }).calls.filter((c) => c.direction === "inbound");
      expect(rows()[0]).toMatchObject({ end_reason: "do_not_disturb" });

      await page.getByTestId("dnd-toggle").click();
      await expect.poll(() => page.getByTestId("dnd-toggle").getAttribute("aria-pressed")).toBe("false");
      await page.getByTestId("auto-answer-toggle").click();
      const answered = await call(5000);
      await page.waitForURL(/#\/calls\/call-inbound/, { timeout: 10_000 });
      await expect
        .poll(() => page.getByTestId("audio-mode").getAttribute("data-mode"), { timeout: 10_000 })
        .toBe("talk");
      expect(rows()[0]).toMatchObject({ status: "in-progress", agent_id: null });
      expect(await answered.exited, answered.output()).toBe(0);
      await page.getByTestId("auto-answer-toggle").click();
    }, 60_000);

    it("attended transfer from the call page: consult B while A waits on hold, then complete: A and B are joined and both rows end as transferred", async () => {
      const sipp = await startSippUas({
        scenarioXml: attendedUas(["hold", "resume", { hangUpAfterMs: 3000 }], ["bye"], 1000),
        calls: 2,
        vars: { rtpa: await freeUdpPort(false), rtpb: await freeUdpPort(false) },
      });
      // The calls of the tests before are over (the consult must not meet one of them).
      await waitFor(() => t.engine.calls.liveCount === 0, 15_000);
      await onlyTrunkTo(t, sipp.port);
      const a = await dial(A_NUMBER);
      await page.getByTestId("consult-number").fill(B_NUMBER);
      await page.getByTestId("consult").click();
      // The console moves to the consultation, with the person on it; A waits on hold.
      await page.waitForURL((u) => !u.hash.includes(encodeURIComponent(a)) && /#\/calls\/call/.test(u.hash));
      const b = decodeURIComponent(/#\/calls\/([^?]+)/.exec(page.url())![1]);
      await expect
        .poll(() => page.getByTestId("audio-mode").getAttribute("data-mode"), { timeout: 15_000 })
        .toBe("talk");
      await page.getByTestId("transfer-complete").waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, "console-softphone-consult.png") });
      await page.getByTestId("transfer-complete").click();
      await page.waitForURL(/#\/calls$/);
      await waitFor(() => t.store.calls.get(a)!.end_reason === "transferred", 10_000);
      expect(t.store.calls.get(b)).toMatchObject({ status: "ended", end_reason: "transferred" });
      // sipp checks A's hold (sendonly) and resume (sendrecv), then A hangs up and B gets our BYE.
      const code = await Promise.race([sipp.exited, new Promise((r) => setTimeout(() => r("still running"), 20_000))]);
      expect(code, sipp.output()).toBe(0);
    }, 60_000);
  },
);
