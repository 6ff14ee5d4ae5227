import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "./cli.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const CONSOLE_DIR = join(ROOT, "out", "renderer");
export const ARTIFACTS = join(ROOT, "test-artifacts");

/**
 * Debian's Chromium with the console's API key already saved, for a person on a call: Chromium's fake
 * microphone (a beeping tone, or `micWav`) stands in for their voice, and no permission prompt appears.
 */
export async function consoleBrowser(
  apiKey: string,
  opts: { micWav?: string } = {},
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
      // A WAV as the microphone instead of the beeping tone (Chromium loops it).
      ...(opts.micWav ? [`--use-file-for-fake-audio-capture=${opts.micWav}`] : []),
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(
    (key) =>
      (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(
        "voicedock.apiKey",
        key,
      ),
    apiKey,
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  return { browser, page };
}

/**
 * Opens a console page as a new document, so it reads what is saved (codec, devices) and starts there.
 * A goto that changes only the hash is lost if it lands while the console is still starting (just after a
 * reload): Vue Router's first navigation, when it completes, writes its own URL back over it.
 */
export async function openConsole(page: Page, url: string): Promise<void> {
  await page.goto("about:blank");
  await page.goto(url);
}
