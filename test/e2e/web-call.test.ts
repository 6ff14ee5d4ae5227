import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { startLlmServer, lastOf, type LlmServer } from "../support/llm-server.js";
import { SHARED } from "../support/kamailio.js";
import { waitFor } from "../helpers/wait.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

// The product's test call from the console (issue #16, "Web call end to end"): Debian's Chromium with a
// speech WAV as its microphone clicks "Talk to this assistant"; the engine answers its WebRTC offer (WHIP)
// in the media worker, and a local assistant (Silero VAD, PocketSphinx, the LLM double, Flite) talks to it.
describe.skipIf(!hasChromium || !hasPocketsphinx || !existsSync(join(CONSOLE_DIR, "index.html")))(
  "a web call from Chromium to a local assistant (skipped only where chromium or pocketsphinx is not installed, or the console is not built)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    let browser: Browser;
    let page: Page;
    let assistantId = "";
    const mic = join(mkdtempSync(join(tmpdir(), "webcall-mic-")), "mic.wav");

    beforeAll(async () => {
      // The caller waits for the greeting, says one sentence, then listens (Chromium loops the file: 40 s).
      const r = spawnSync("sox", [
        join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"),
        "-r",
        "48000",
        "-c",
        "1",
        "-b",
        "16",
        mic,
        "pad",
        "5",
        "33",
      ]);
      expect(r.status, r.stderr?.toString()).toBe(0);
      llm = await startLlmServer(() => ({ text: "Of course. I can help you with that today." }));
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipPort: null });
      assistantId = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: {
              name: "Web helper",
              first_message: "Hello, this is the web assistant. How can I help?",
              stt_config: { provider: "pocketsphinx", language: "en" },
              llm_config: { provider: "openai_compatible", model: "double", base_url: llm.url },
              tts_config: { provider: "local", voice_id: "flite-kal" },
            },
          })
        ).json()) as any
      ).assistant.id;
      ({ browser, page } = await consoleBrowser(t.apiKey, { micWav: mic }));
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
      await llm?.close();
    });

    it("greets in the page, hears the caller, answers, and ends as a web call with its transcript", async () => {
      await page.goto(`${t.url}/#/assistants/${assistantId}`);
      await page.getByTestId("web-call-start").click();
      await page.locator('[data-testid="web-call-state"][data-state="connected"]').waitFor({ timeout: 15_000 });
      const callId = await waitFor(
        () => t.store.calls.list({ limit: 5, offset: 0 }).calls.find((c) => c.direction === "web")?.id,
        5000,
      );
      // The greeting arrives as audio on the page's received track (its level meter reads the track).
      const level = () =>
        page.getByTestId("web-call-assistant-level").evaluate((el) => Number(el.getAttribute("aria-valuenow")));
      let greeting = 0;
      await waitFor(async () => (greeting = Math.max(greeting, await level())) > 0.01, 15_000, 100);
      await page.screenshot({ path: join(ARTIFACTS, "web-call-connected.png") });
      // The caller's sentence reaches the model; its reply is heard in the page.
      // (PocketSphinx hears Chromium's processed, G.711 copy of the sentence: any words of it will do.)
      await waitFor(() => llm.requests.some((q) => (lastOf(q, "user") ?? "").trim().length > 0), 30_000).catch((e) => {
        throw new Error(
          `${e.message}: ${JSON.stringify({ requests: llm.requests.length, call: t.store.calls.get(callId), events: t.store.calls.events(callId) })}`,
        );
      });
      const asked = performance.now();
      await waitFor(
        () =>
          (t.store.calls.get(callId)?.messages ?? []).some(
            (m) => m.role === "assistant" && /help you with that/.test(m.content),
          ),
        15_000,
      );
      let reply = 0;
      await waitFor(async () => (reply = Math.max(reply, await level())) > 0.01, 10_000, 100);
      expect(performance.now() - asked).toBeLessThan(10_000);

      await page.getByTestId("web-call-hangup").click();
      await page.getByTestId("web-call-link").waitFor({ timeout: 10_000 });
      await waitFor(() => t.store.calls.get(callId)?.status === "ended", 10_000);
      const call = t.store.calls.get(callId)!;
      expect(call).toMatchObject({ direction: "web", end_reason: "user_hangup", caller_phone: null });
      expect(call.messages.find((m) => m.role === "user")?.content).toMatch(/\w/);
      expect((call.metrics as any)?.media?.packets_received).toBeGreaterThan(100);
      await page.screenshot({ path: join(ARTIFACTS, "web-call-ended.png") });
    }, 120_000);
  },
);
