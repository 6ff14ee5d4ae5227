import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium, openConsole } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { envelope, envelopeMatch, readWav } from "../support/audio.js";
import { SHARED } from "../support/kamailio.js";
import { rtpPair } from "../support/rtp-peer.js";
import { testBrowser, type TestBrowser } from "../support/webrtc-browser.js";
import { waitFor } from "../helpers/wait.js";

/** `wav` converted with sox (rate, mono, 16 bit). */
function sox(src: string, dst: string, rate: number): string {
  const r = spawnSync("sox", [src, "-r", String(rate), "-c", "1", "-b", "16", dst]);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr}`);
  return dst;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The console's call audio in Chromium (issue #16): how long it takes to connect with trickle ICE and with
// whole offers (the fallback an engine without PATCH gets), and coaching with Chromium's fake microphone (a
// speech WAV) as the coach's voice. The caller is a real RTP peer on loopback; the person who has the call
// is a werift peer (test/support/webrtc-browser.ts) joined with their own API key.
describe.skipIf(!hasChromium)(
  "trickle ICE and coaching in the console (skipped only where chromium is not installed)",
  () => {
    let t: TestEngine;
    let browser: Browser;
    let page: Page;
    const work = mkdtempSync(join(tmpdir(), "trickle-coach-"));
    // The coach's voice: LJ001-0001 (9.7 s of speech; Chromium loops it).
    const micWav = sox(join(SHARED, "audio", "en-ljspeech-LJ001-0001.wav"), join(work, "mic.wav"), 48000);
    const micOnce = readWav(sox(micWav, join(work, "mic-8k.wav"), 8000)).samples;
    const micRef = new Int16Array(micOnce.length * 2);
    micRef.set(micOnce);
    micRef.set(micOnce, micOnce.length);
    const peers: TestBrowser[] = [];
    let seq = 0;

    beforeAll(async () => {
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipPort: null });
      ({ browser, page } = await consoleBrowser(t.apiKey, { micWav }));
    }, 60_000);
    afterAll(async () => {
      for (const p of peers) await p.close();
      await browser?.close();
      await t?.stop();
    });

    async function personCall() {
      const id = `call_e2e_coach_${++seq}`;
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+15550002000",
        assistant_config: null,
      });
      t.engine.calls.transition(id, "in-progress");
      const pair = await rtpPair();
      t.engine.calls.liveCall(id)!.answer(pair.leg);
      return { id, pair };
    }

    /** The console's own figures: offer to connected, per join (console-audio.ts measures them). */
    const setups = () =>
      page.evaluate(() =>
        (globalThis as any).performance
          .getEntriesByName("voicedock:console-audio-setup")
          .map((e: any) => ({ ms: e.duration as number, trickle: Boolean(e.detail?.trickle) })),
      ) as Promise<{ ms: number; trickle: boolean }[]>;

    /** Joins the call's audio from the page (Listen) and leaves it again; the figure of that join. */
    async function joinOnce(trickle: boolean): Promise<number> {
      const before = (await setups()).filter((s) => s.trickle === trickle).length;
      await page.getByTestId("listen").click();
      await expect
        .poll(async () => (await setups()).filter((s) => s.trickle === trickle).length, { timeout: 15_000 })
        .toBe(before + 1);
      const ms = (await setups()).filter((s) => s.trickle === trickle).at(-1)!.ms;
      await page.getByTestId("audio-stop").click();
      await page.getByTestId("listen").waitFor();
      return ms;
    }

    it("setup time on loopback, offer to connected: trickle ICE (candidates by PATCH) against whole offers, the fallback after a PATCH answered 405; both connect (figures in docs/decisions.md)", async () => {
      const c = await personCall();
      await page.goto(`${t.url}/#/calls/${c.id}`);
      await page.getByTestId("listen").waitFor();
      const trickled: number[] = [];
      for (let i = 0; i < 5; i++) trickled.push(await joinOnce(true));

      // An engine without trickle: PATCH answers 405, the console starts again with every candidate in the offer.
      let refused = 0;
      await page.route(/\/api\/v1\/calls\/[^/]+\/webrtc\/[^/?]+$/, (route) => {
        if (route.request().method() !== "PATCH") return route.continue();
        refused++;
        return route.fulfill({ status: 405, headers: { allow: "POST, DELETE" }, body: "" });
      });
      await page.getByTestId("listen").click();
      await expect.poll(async () => (await setups()).filter((s) => !s.trickle).length, { timeout: 15_000 }).toBe(1);
      expect(refused).toBeGreaterThan(0);
      expect(await page.getByTestId("audio-mode").getAttribute("data-mode")).not.toBe("off");
      await page.getByTestId("audio-stop").click();
      await page.getByTestId("listen").waitFor();
      const refusedBefore = refused;
      const whole: number[] = [];
      for (let i = 0; i < 5; i++) whole.push(await joinOnce(false));
      // Once refused, the console no longer tries.
      expect(refused).toBe(refusedBefore);
      await page.unroute(/\/api\/v1\/calls\/[^/]+\/webrtc\/[^/?]+$/);
      console.log(
        `console audio setup on loopback, offer → connected (ms): trickle ${trickled.map((x) => x.toFixed(0)).join(", ")} (median ${median(trickled).toFixed(0)}); whole offer ${whole.map((x) => x.toFixed(0)).join(", ")} (median ${median(whole).toFixed(0)})`,
      );
      // Trickle must not be slower than waiting for every candidate (100 ms of noise allowed on two shared cores).
      expect(median(trickled)).toBeLessThanOrEqual(median(whole) + 100);
      c.pair.close();
    }, 120_000);

    it("Coach beside Listen: 'Coaching — only Anna hears you'; the coach's microphone reaches Anna's console (loudness follows the WAV, > 0.8) and not the caller; when Anna leaves, the page says so and listens", async () => {
      const c = await personCall();
      // Anna has the call: her console (a werift peer) joined with her own key.
      const { key } = t.engine.store.keys.create("Anna");
      const anna = await testBrowser();
      peers.push(anna);
      const res = await t.api(`/api/v1/calls/${c.id}/webrtc`, {
        method: "POST",
        auth: key,
        headers: { "content-type": "application/sdp" },
        body: anna.offer,
      });
      expect(res.status).toBe(201);
      expect(res.headers.get("x-console-mode")).toBe("talk");
      const annaLocation = res.headers.get("location")!;
      await anna.pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      await waitFor(() => anna.pc.connectionState === "connected", 10_000);

      await openConsole(page, `${t.url}/#/calls/${c.id}`);
      await page.getByTestId("coach").click();
      await expect
        .poll(() => page.getByTestId("audio-mode").getAttribute("data-mode"), { timeout: 15_000 })
        .toBe("coach");
      expect(await page.getByTestId("coaching").textContent()).toBe("Coaching — only Anna hears you");
      await page.screenshot({ path: join(ARTIFACTS, "console-coaching.png") });

      const at = performance.now();
      await new Promise((r) => setTimeout(r, 7000));
      const heardByAnna = anna.heard.filter((h) => h.at >= at);
      const annaPcm = new Int16Array(heardByAnna.length * 160);
      heardByAnna.forEach((h, i) => annaPcm.set(h.pcm.subarray(0, 160), i * 160));
      // The coach's voice, through Chromium's audio processing and G.711: compared as 20 ms loudness.
      const start = envelope(annaPcm).findIndex((v) => v > 500);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(envelopeMatch(annaPcm.subarray(start * 160 + 8000, start * 160 + 8000 * 5), micRef)).toBeGreaterThan(0.8);
      const atCaller = c.pair.caller.heardSince(at);
      expect(atCaller.length).toBeGreaterThan(200);
      expect(atCaller.filter((f) => f.rms > 300)).toHaveLength(0);

      // Anna leaves: the coach only listens now, and the page says why.
      expect((await t.api(annaLocation, { method: "DELETE" })).status).toBe(200);
      await expect
        .poll(() => page.getByTestId("audio-mode").getAttribute("data-mode"), { timeout: 10_000 })
        .toBe("listen");
      expect(await page.getByTestId("coach-note").textContent()).toContain("The person left the call.");
      await page.screenshot({ path: join(ARTIFACTS, "console-coach-ended.png") });
      c.pair.close();
    }, 90_000);
  },
);
