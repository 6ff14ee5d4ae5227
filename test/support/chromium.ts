import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium: the console's end-to-end tests drive it through playwright-core. */
export const CHROMIUM = "/usr/bin/chromium";

/** Headless Chromium as the console tests run it: no sandbox (root in CI), no GPU, no network of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}
