import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { hasSipp } from "../helpers/sipp.js";
import { freeUdpPort } from "../support/ports.js";
import { waitFor } from "../helpers/wait.js";

describe.skipIf(!hasChromium || !hasSipp)(
  "a person answers a ringing call in the console (skipped only where chromium or sip-tester is not installed)",
  () => {
    let t: TestEngine;
    let browser: Browser;
    let page: Page;
    let sippPort = 0;
    beforeAll(async () => {
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
      expect(
        (
          await t.api("/api/v1/numbers", {
            method: "POST",
            json: { phone_number: "+15550007777", sip_trunk_id: trunk.id },
          })
        ).status,
      ).toBe(201);
      await waitFor(() => t.engine.telephony!.stack.hasTrunk(trunk.id));
      ({ browser, page } = await consoleBrowser(t.apiKey));
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
    });

    it("rings, is answered with one click, carries the person's voice to the caller and back, and ends when the caller hangs up", async () => {
      await page.goto(`${t.url}/#/calls`);
      await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");

      // The caller echoes the RTP it gets, so what the person says comes back as caller audio: the level
      // meter then shows the whole path (microphone → engine → SIP caller → engine → console) works.
      const sip = t.engine.telephony!.sipAddress!;
      const sipp = spawn(
        "sipp",
        [
          "-sn",
          "uac",
          "-s",
          "+15550007777",
          "-i",
          "127.0.0.1",
          "-p",
          String(sippPort),
          "-mp",
          String(await freeUdpPort(false)),
          "-rtp_echo",
          "-d",
          "8000",
          "-m",
          "1",
          "-nostdin",
          "-timeout",
          "40s",
          `127.0.0.1:${sip.port}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      sipp.stdout.on("data", (d) => {
        out += d;
      });
      sipp.stderr.on("data", (d) => {
        out += d;
      });
      const exited = new Promise<number | null>((r) => sipp.on("exit", (c) => r(c)));
      try {
        const ring = page.getByTestId("incoming-call");
        await ring.waitFor({ timeout: 10_000 });
        expect(await ring.textContent()).toContain("+15550007777");
        await page.screenshot({ path: join(ARTIFACTS, "console-incoming.png") });
        const id = (await ring.getAttribute("data-call-id"))!;

        await page.getByTestId("answer").click();
        await page.waitForURL(new RegExp(`#/calls/${id}`));
        await expect.poll(() => page.getByTestId("audio-mode").textContent(), { timeout: 10_000 }).toBe("on the line");
        await expect
          .poll(async () => Number(await page.getByTestId("caller-level").getAttribute("data-level")), {
            timeout: 6000,
          })
          .toBeGreaterThan(0.01);
        await page.screenshot({ path: join(ARTIFACTS, "console-on-call.png") });
        expect(t.store.calls.get(id)).toMatchObject({ status: "in-progress", agent_id: null });

        expect(await exited, out).toBe(0);
        await expect.poll(() => page.getByTestId("call-status").textContent(), { timeout: 5000 }).toContain("ended");
        expect(t.store.calls.get(id)).toMatchObject({ status: "ended", end_reason: "user_hangup" });
        expect(await page.getByTestId("incoming-call").count()).toBe(0);
      } finally {
        sipp.kill();
      }
    }, 60_000);
  },
);
