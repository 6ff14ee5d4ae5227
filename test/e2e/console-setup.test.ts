import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";
import { hasKamailio, startKamailio, type Kamailio } from "../support/kamailio.js";
import { seriousViolations, settled } from "../support/axe.js";

// A new user's setup path through the console against a real engine and a real registrar: a trunk that
// registers, a wrong password with its SIP answer, a number, and every page of the navigation checked
// by axe-core and photographed (wide and at 360 px).
const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");

let t: TestEngine;
let k: Kamailio;
let browser: Browser;
let page: Page;

/** Presses Tab until the focused element is (or is inside) the one with this test id. */
async function tabTo(p: Page, testId: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    // Page-side code as strings: this file compiles without the DOM library.
    if (await p.evaluate(`!!document.activeElement?.closest('[data-testid="${testId}"]')`)) return;
    await p.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached [data-testid="${testId}"]`);
}

const trunkCard = (p: Page, name: string) => p.locator(`[data-testid="trunk"][data-name="${name}"]`);

describe.skipIf(!existsSync(CHROMIUM) || !hasKamailio)(
  "console setup in Chromium with kamailio (skipped only where chromium or kamailio is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      k = await startKamailio();
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipRetryBaseMs: 500 });
      browser = await launchChromium();
      // AxeBuilder needs a page from an explicit context.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
      page = await context.newPage();
      mkdirSync(ARTIFACTS, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
      await k?.stop();
    });

    it("signs in, then reaches the trunks page with the keyboard through the navigation", async () => {
      await page.goto(`${t.url}/`);
      await page.getByTestId("api-key-input").fill(t.apiKey);
      await page.getByTestId("api-key-save").click();
      await page.getByTestId("side-nav").waitFor();
      expect(await page.getByTestId("header-trunk-status").getAttribute("data-status")).toBe("none");
      await page.locator("body").focus();
      await tabTo(page, "nav-trunks");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/trunks$/);
      await page.getByTestId("trunks-empty").waitFor();
    });

    it("creates a trunk with the keyboard only and sees it register", async () => {
      await tabTo(page, "trunk-add");
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-name").waitFor();
      await tabTo(page, "trunk-name");
      await page.keyboard.type("Main line");
      await tabTo(page, "trunk-host");
      await page.keyboard.type("127.0.0.1");
      await tabTo(page, "trunk-port");
      await page.keyboard.press("ControlOrMeta+a");
      await page.keyboard.type(String(k.port));
      await tabTo(page, "trunk-username");
      await page.keyboard.type("alice");
      await tabTo(page, "trunk-password");
      await page.keyboard.type("secret");
      await page.screenshot({ path: join(ARTIFACTS, "console-trunk-form.png") });
      expect(await seriousViolations(page)).toEqual([]);
      // Enter in a field submits the form, as in any web form.
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-form").waitFor({ state: "hidden" });

      const card = trunkCard(page, "Main line");
      await expect
        .poll(() => card.getByTestId("trunk-registration").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("registered");
      expect(await card.getByTestId("trunk-status").textContent()).toContain("registered");
      await expect.poll(() => page.getByTestId("header-trunk-status").getAttribute("data-status")).toBe("registered");
      // The engine saved what the form sent, and the password stays write-only.
      const { trunks } = (await (await t.api("/api/v1/sip-trunks")).json()) as { trunks: Record<string, unknown>[] };
      const saved = trunks[0]!;
      expect(saved).toMatchObject({ name: "Main line", host: "127.0.0.1", port: k.port, username: "alice" });
      expect(saved.has_password).toBe(true);
      expect(JSON.stringify(saved)).not.toContain("secret");
    });

    it("edits the trunk with a wrong password and shows the registrar's answer", async () => {
      const card = trunkCard(page, "Main line");
      await card.getByTestId("trunk-edit").click();
      const password = page.getByTestId("trunk-password");
      await password.waitFor();
      // Write-only: the saved password is never shown or prefilled.
      expect(await password.inputValue()).toBe("");
      await password.fill("wrong-password");
      await page.getByTestId("trunk-save").click();
      await page.getByTestId("trunk-form").waitFor({ state: "hidden" });
      await expect
        .poll(() => card.getByTestId("trunk-registration").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("failed");
      await expect.poll(() => card.getByTestId("trunk-reason").textContent()).toMatch(/401/);
      await expect.poll(() => page.getByTestId("header-trunk-status").getAttribute("data-status")).toBe("failed");
      await page.screenshot({ path: join(ARTIFACTS, "console-trunk-failed.png"), fullPage: true });

      // Put the right password back: it registers again.
      await card.getByTestId("trunk-edit").click();
      await page.getByTestId("trunk-password").fill("secret");
      await page.getByTestId("trunk-save").click();
      await expect
        .poll(() => card.getByTestId("trunk-registration").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("registered");
    });

    it("registers again on request and shows the exchange as a SIP ladder", async () => {
      const card = trunkCard(page, "Main line");
      await card.getByTestId("trunk-register-now").click();
      await expect
        .poll(() => card.getByTestId("trunk-registration").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("registered");
      await card.getByTestId("trunk-log").click();
      const rows = page.getByTestId("sip-message");
      await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      const lines = await rows.evaluateAll((els) =>
        els.map((e) => `${e.className} ${e.querySelector(".line")?.textContent ?? ""}`),
      );
      expect(lines.some((l) => /^out REGISTER sip:/.test(l))).toBe(true);
      expect(lines.some((l) => /^in SIP\/2\.0 401/.test(l))).toBe(true);
      expect(lines.some((l) => /^in SIP\/2\.0 200/.test(l))).toBe(true);
      // A row opens the whole message; the password's digest never appears in it.
      await rows.first().locator("button").click();
      const text = await page.getByTestId("sip-message-text").textContent();
      expect(text).toMatch(/^REGISTER sip:/);
      expect(text).toContain("Call-ID:");
      await page.screenshot({ path: join(ARTIFACTS, "console-sip-log.png") });
      expect(await seriousViolations(page)).toEqual([]);
      await page.keyboard.press("Escape");
      await page.getByTestId("sip-log").waitFor({ state: "hidden" });
    });

    it("creates a number that a person answers, on that trunk", async () => {
      await page.getByTestId("nav-numbers").click();
      await page.getByTestId("numbers-empty").waitFor();
      await page.getByTestId("number-add").click();
      await page.getByTestId("number-phone").fill("+31850835037");
      await page.getByTestId("number-name").fill("Front desk");
      await page.getByTestId("number-trunk").selectOption({ label: "Main line" });
      await page.getByTestId("number-save").click();
      const row = page.locator('[data-testid="number"][data-number="+31850835037"]');
      await row.waitFor();
      expect(await row.textContent()).toContain("Front desk");
      expect(await row.getByTestId("number-answerer").textContent()).toContain("A person answers");
      const { numbers } = (await (await t.api("/api/v1/numbers")).json()) as { numbers: Record<string, unknown>[] };
      const n = numbers[0]!;
      expect(n).toMatchObject({ phone_number: "+31850835037", name: "Front desk", assistant_id: null });
      expect(n.sip_trunk_name).toBe("Main line");
    });

    it("visits every page of the navigation: no serious accessibility violation, a screenshot of each", async () => {
      const links = await page
        .getByTestId("side-nav")
        .locator("a")
        .evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
      expect(links.length).toBeGreaterThanOrEqual(3);
      for (const href of links) {
        const name = href.replace(/^#\//, "").replace(/\W+/g, "-");
        await page.goto(`${t.url}/${href}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
        expect(await seriousViolations(page), `axe on ${href}`).toEqual([]);
      }
      await page.goto(`${t.url}/#/no-such-page`);
      await page.getByTestId("not-found").waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "console-not-found.png") });
      expect(await seriousViolations(page)).toEqual([]);
    });

    it("fits a 360 px wide screen: no sideways scrolling, the navigation in a drawer", async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const path of ["calls", "trunks", "numbers"]) {
        await page.goto(`${t.url}/#/${path}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
        expect(overflow, `#/${path} scrolls sideways`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(ARTIFACTS, `console-${path}-360.png`), fullPage: true });
        expect(await seriousViolations(page), `axe on #/${path} at 360 px`).toEqual([]);
      }
      expect(await page.getByTestId("side-nav").count()).toBe(0);
      await page.getByTestId("nav-toggle").click();
      await page.getByTestId("nav-calls").waitFor();
      await settled(page);
      await page.screenshot({ path: join(ARTIFACTS, "console-calls-360-menu.png") });
      await page.getByTestId("nav-calls").click();
      await page.waitForURL(/#\/calls$/);
    });

    it("follows the OS into dark mode, still readable", async () => {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.emulateMedia({ colorScheme: "dark" });
      await page.goto(`${t.url}/#/trunks`);
      await trunkCard(page, "Main line").waitFor();
      await expect.poll(() => page.evaluate(`document.documentElement.classList.contains("dark")`)).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "console-trunks-dark.png"), fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: "light" });
    });

    it("switches to Dutch and keeps the choice, then signs out back to the key page", async () => {
      await page.goto(`${t.url}/#/calls`);
      await page.getByTestId("language").selectOption("nl");
      await expect.poll(() => page.getByTestId("nav-calls").textContent()).toContain("Gesprekken");
      await page.reload();
      await expect.poll(() => page.getByTestId("nav-calls").textContent()).toContain("Gesprekken");
      expect(await page.evaluate("document.documentElement.lang")).toBe("nl");
      await page.getByTestId("language").selectOption("en");
      await page.getByTestId("sign-out").click();
      await page.getByTestId("api-key-input").waitFor();
      expect(await page.evaluate(`localStorage.getItem("voicedock.apiKey")`)).toBeNull();
      // Without a key every page leads back here.
      await page.goto(`${t.url}/#/trunks`);
      await page.getByTestId("api-key-input").waitFor();
    });
  },
);
