import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { ROOT, spawnServe } from "../helpers/cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-login-link-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe.skipIf(!existsSync(CHROMIUM) || !existsSync(join(ROOT, "out", "renderer", "index.html")))(
  "the console opened from the one-time link `voicedock serve` prints (skipped only without Chromium or a built console)",
  () => {
    it("signs the browser in without pasting a key; the same link a second time explains itself", async () => {
      const serve = await spawnServe(["--data-dir", dataDir, "--port", "0"], { VOICEDOCK_LOG_LEVEL: "warn" });
      const browser = await launchChromium();
      try {
        const link = /Console: (http:\/\/127\.0\.0\.1:\d+\/#\/login\?token=[A-Za-z0-9_-]+)\s/.exec(serve.output())?.[1];
        expect(link, serve.output()).toBeTruthy();
        // One browser profile: the second visit is the same browser opening the link again.
        const profile = await browser.newContext();
        const page = await profile.newPage();
        await page.goto(link!);
        // A fresh engine has nothing set up: the link opens the first-run wizard.
        await page.waitForURL(/#\/welcome/, { timeout: 15_000 });
        await page.getByRole("heading", { level: 1 }).first().waitFor();
        const key = await page.evaluate<string | null>("localStorage.getItem('voicedock.apiKey')");
        expect(key).toMatch(/^vd_live_/);
        // The token does not stay in the address bar or the history.
        expect(page.url()).not.toContain("token=");

        const other = await profile.newPage();
        await other.goto(link!);
        const error = other.getByTestId("login-error");
        await error.waitFor({ timeout: 10_000 });
        expect(await error.textContent()).toMatch(/once and for 10 minutes/);
        expect(await other.evaluate<string | null>("localStorage.getItem('voicedock.apiKey')")).toBe(key);
      } finally {
        await browser.close();
        serve.proc.kill("SIGTERM");
        await serve.exited;
      }
    });
  },
);
