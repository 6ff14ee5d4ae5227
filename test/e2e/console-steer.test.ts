import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { startLlmServer, type LlmServer } from "../support/llm-server.js";
import { hasSipp } from "../helpers/sipp.js";
import { freeUdpPort } from "../support/ports.js";
import { waitFor } from "../helpers/wait.js";

const hasPocketsphinx = existsSync("/usr/bin/pocketsphinx_continuous");

describe.skipIf(!hasChromium || !hasSipp || !hasPocketsphinx)(
  "a person steers, then takes over, an assistant's call in the console (skipped only where chromium, sip-tester or pocketsphinx is not installed)",
  () => {
    let t: TestEngine;
    let llm: LlmServer;
    let browser: Browser;
    let page: Page;
    let sippPort = 0;
    beforeAll(async () => {
      llm = await startLlmServer(() => ({ text: "Okay." }));
      t = await startTestEngine({ consoleDir: CONSOLE_DIR });
      sippPort = await freeUdpPort();
      const trunk = (
        (await (
          await t.api("/api/v1/sip-trunks", {
            method: "POST",
            json: { name: "sipp caller", host: "127.0.0.1", port: sippPort },
          })
        ).json()) as any
      ).trunk;
      const assistant = (
        (await (
          await t.api("/api/v1/assistants", {
            method: "POST",
            json: {
              name: "Front desk",
              stt_config: { provider: "pocketsphinx", language: "en" },
              tts_config: { provider: "local", voice_id: "flite-kal" },
              llm_config: {
                provider: "openai_compatible",
                model: "local-test",
                base_url: llm.url,
                messages: [{ role: "system", content: "You are a test assistant." }],
              },
            },
          })
        ).json()) as any
      ).assistant;
      expect(
        (
          await t.api("/api/v1/numbers", {
            method: "POST",
            json: { phone_number: "+15550008888", assistant_id: assistant.id, sip_trunk_id: trunk.id },
          })
        ).status,
      ).toBe(201);
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      ({ browser, page } = await consoleBrowser(t.apiKey));
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
      await llm?.close();
    });

    it("says a line typed in the console, then takes the call: the assistant stops and the person is on the line", async () => {
      const sip = t.engine.telephony!.sipAddress!;
      const sipp = spawn(
        "sipp",
        [
          "-sn",
          "uac",
          "-s",
          "+15550008888",
          "-i",
          "127.0.0.1",
          "-p",
          String(sippPort),
          "-mp",
          String(await freeUdpPort(false)),
          "-d",
          "30000",
          "-m",
          "1",
          "-nostdin",
          "-timeout",
          "60s",
          `127.0.0.1:${sip.port}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      // Drained so sipp never blocks on a full pipe.
      sipp.stdout.resume();
      sipp.stderr.resume();
      try {
        const call = await waitFor(
          () => t.store.calls.list({ limit: 5, offset: 0 }).calls.find((c) => c.status === "in-progress"),
          10_000,
        );
        await page.goto(`${t.url}/#/calls/${call.id}`);
        await page.getByTestId("steer").waitFor();

        await page.getByTestId("steer-text").fill("Please hold the line for a moment.");
        await page.getByTestId("steer-say").click();
        await expect.poll(() => page.getByTestId("steer-result").textContent()).toContain("says it next");
        // The line was spoken on the call and lands in the transcript the page shows live.
        await expect
          .poll(() => page.locator('[data-testid="transcript-line"], [data-testid="live-line"]').allTextContents(), {
            timeout: 10_000,
          })
          .toContainEqual(expect.stringContaining("Please hold the line for a moment."));

        await page.getByTestId("steer-text").fill("The caller is a returning customer.");
        await page.getByTestId("steer-note").click();
        await expect.poll(() => page.getByTestId("steer-result").textContent()).toContain("Noted silently");
        expect(t.store.calls.get(call.id)!.messages.at(-1)).toMatchObject({
          role: "system",
          content: "The caller is a returning customer.",
        });

        // A line saved as a macro (of the kind last used: a note) is one click on every console, after a reload too.
        await page.getByTestId("steer-text").fill("Offer the caller a callback within the hour.");
        await page.getByTestId("macro-save").click();
        await expect
          .poll(() => page.getByTestId("macro").allTextContents())
          .toEqual(["Offer the caller a callback within the…"]);
        expect(((await (await t.api("/api/v1/settings")).json()) as any).steer_macros).toEqual([
          {
            label: "Offer the caller a callback within the…",
            kind: "note",
            text: "Offer the caller a callback within the hour.",
          },
        ]);
        await page.reload();
        await page.getByTestId("macro").waitFor();
        await page.screenshot({ path: join(ARTIFACTS, "console-steer-macros.png") });
        await page.getByTestId("macro").click();
        await expect
          .poll(() => t.store.calls.get(call.id)!.messages.at(-1)?.content)
          .toBe("Offer the caller a callback within the hour.");
        expect(t.store.calls.get(call.id)!.messages.at(-1)!.role).toBe("system");

        await page.getByTestId("take-over").click();
        await expect.poll(() => page.getByTestId("audio-mode").textContent(), { timeout: 10_000 }).toBe("on the line");
        expect(await page.getByTestId("take-over").count()).toBe(0);
        expect(await page.getByTestId("steer").count()).toBe(0);
        expect(t.store.calls.events(call.id).some((e) => e.type === "taken_over")).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, "console-taken-over.png") });

        await page.getByTestId("hang-up").click();
        await expect.poll(() => page.getByTestId("call-status").textContent(), { timeout: 10_000 }).toContain("ended");
        expect(t.store.calls.get(call.id)).toMatchObject({ status: "ended", end_reason: "operator_hangup" });
      } finally {
        sipp.kill();
      }
    }, 60_000);
  },
);
