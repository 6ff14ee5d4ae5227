import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";
import { inWindow } from "../../main/engine/campaigns/schedule.js";

// The Campaigns console (issue #17 point 4) in Debian's Chromium against a real engine and SQLite file. The
// dispatcher is the engine's own; only the dialer is replaced by one the test answers or rejects as busy when
// it says, so calls stay in flight long enough to be seen. The dispatcher's clock is shifted to a time inside
// the default 09:00–17:00 Amsterdam window, so the campaign made with the editor's defaults dials now.

const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");
const DEFAULT_WINDOW = {
  start: "09:00:00",
  end: "17:00:00",
  timezone: "Europe/Amsterdam",
  weekdays: [1, 2, 3, 4, 5, 6, 7],
};

/** The smallest forward shift (in half hours) that puts the next 3 hours inside the default window. */
function shiftIntoWindow(): number {
  for (let k = 0; k < 48; k++) {
    const at = Date.now() + k * 1_800_000;
    if (inWindow(DEFAULT_WINDOW, new Date(at)) && inWindow(DEFAULT_WINDOW, new Date(at + 3 * 3_600_000)))
      return k * 1_800_000;
  }
  throw new Error("no time in the next day lies inside 09:00–17:00 Amsterdam");
}
const SHIFT_MS = shiftIntoWindow();

const TEMPLATE = "You remind {{name}} of the appointment on {{appointment_date}}.";
// Row 3 lacks appointment_date (preflight names it), row 4 is not a number, row 5 repeats row 2's number.
const CSV = [
  "phone,name,appointment_date",
  "+31612340001,Jan,Friday",
  "+31612340002,Piet,",
  "call me maybe,Kees,Monday",
  "+31 6 1234 0001,Jan,Saturday",
  "+31612340003,Anna,Tuesday",
].join("\n");

interface Held {
  callId: string;
  release: () => void;
}
let t: TestEngine;
let browser: Browser;
let page: Page;
/** Calls the test dialer holds open, by destination. */
const held = new Map<string, Held>();
const dialled: string[] = [];

async function tabTo(p: Page, testId: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    // Page-side code as strings: this file compiles without the DOM library.
    if (await p.evaluate(`!!document.activeElement?.closest('[data-testid="${testId}"]')`)) return;
    await p.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached [data-testid="${testId}"]`);
}

async function noSeriousViolations(name: string): Promise<void> {
  // Vue transitions half-way fool axe's contrast check.
  await expect
    .poll(() => page.evaluate(`!document.querySelector('[class*="-enter-active"], [class*="-leave-active"]')`))
    .toBe(true);
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .slice(0, 3)
          .map((n) => `${n.target.join(" ")} — ${n.failureSummary ?? ""}`)
          .join("; ")}`,
    );
  expect(bad, `axe on ${name}`).toEqual([]);
}

const text = (testId: string) => page.getByTestId(testId).first().innerText();
const leadRow = (phone: string) =>
  page.locator("tr", { has: page.locator(`[data-testid="lead-row"][data-phone="${phone}"]`) });
const leadsSeen = async () =>
  JSON.stringify(
    await page.evaluate(
      `[...document.querySelectorAll('[data-testid="lead-row"]')].map((e) => e.closest("tr").innerText.replace(/\\s+/g, " "))`,
    ),
  );

let campaignId = "";

describe.skipIf(!existsSync(CHROMIUM))(
  "console campaigns in Chromium (skipped only where chromium is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      t = await startTestEngine({
        consoleDir: CONSOLE_DIR,
        sipPort: null,
        campaigns: { clock: () => new Date(Date.now() + SHIFT_MS), tickMs: 200 },
      });
      t.engine.calls.setDialer({
        dial(req) {
          dialled.push(req.destination);
          // +…0001 answers and talks until released; +…0003 rings until released, then is busy.
          const answers = req.destination === "+31612340001";
          if (answers) t.engine.calls.transition(req.callId, "in-progress");
          return new Promise<void>((resolve, reject) => {
            let open = true;
            held.set(req.destination, {
              callId: req.callId,
              // Once only: afterAll releases whatever a failed test left open.
              release: () => {
                if (!open) return;
                open = false;
                if (answers) {
                  t.engine.calls.transition(req.callId, "ended", { end_reason: "customer-ended-call" });
                  resolve();
                } else reject(new Error("busy"));
              },
            });
          });
        },
      });
      const assistant = await t.api("/api/v1/assistants", { method: "POST", json: { name: "Reminder" } });
      expect(assistant.status).toBe(201);
      const trunk = (await (
        await t.api("/api/v1/sip-trunks", { method: "POST", json: { name: "carrier", host: "127.0.0.1", port: 5099 } })
      ).json()) as { trunk: { id: string } };
      const number = await t.api("/api/v1/numbers", {
        method: "POST",
        json: { phone_number: "+31850835037", sip_trunk_id: trunk.trunk.id },
      });
      expect(number.status).toBe(201);
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
      await context.addInitScript(
        (key) =>
          (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(
            "voicedock.apiKey",
            key,
          ),
        t.apiKey,
      );
      page = await context.newPage();
      mkdirSync(ARTIFACTS, { recursive: true });
    });

    afterAll(async () => {
      for (const h of held.values()) h.release();
      await browser?.close();
      await t?.stop();
    });

    it("creates a campaign with the keyboard only", async () => {
      await page.goto(`${t.url}/#/campaigns`);
      await page.locator("h1", { hasText: "Campaigns" }).waitFor();
      await tabTo(page, "campaign-new");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/campaigns\/new$/);
      // The name field has the focus on a new campaign; the assistant defaults to the first one.
      await expect
        .poll(() => page.evaluate(`!!document.activeElement?.closest('[data-testid="campaign-name"]')`))
        .toBe(true);
      await page.keyboard.type("Dentist reminders");
      await tabTo(page, "campaign-template");
      await page.keyboard.type(TEMPLATE);
      expect(await text("campaign-variables")).toMatch(/name\s+appointment_date/);
      await tabTo(page, "campaign-save");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/campaigns\/[0-9a-f-]{36}$/, { timeout: 15_000 });
      campaignId = /campaigns\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
      await expect.poll(() => page.getByTestId("campaign-status").getAttribute("data-status")).toBe("draft");
      expect(await text("campaign-status")).toBe("Draft");
      const stored = t.store.campaigns.get(campaignId)!;
      expect(stored).toMatchObject({
        name: "Dentist reminders",
        status: "draft",
        system_message_template: TEMPLATE,
        schedule_start_time: "09:00:00",
        schedule_end_time: "17:00:00",
        timezone: "Europe/Amsterdam",
        max_concurrency: 2,
        number_id: null,
      });
    });

    it("previews a CSV import (bad row, duplicate, missing value) before adding anything, then imports it", async () => {
      await page.getByTestId("import-csv").fill(CSV);
      await page.getByTestId("import-check").click();
      const preview = page.getByTestId("import-preview");
      await preview.waitFor({ timeout: 15_000 });
      const summary = page.getByTestId("import-summary");
      expect(await summary.getAttribute("data-new")).toBe("3");
      expect(await summary.getAttribute("data-merged")).toBe("1");
      const errors = await page.getByTestId("import-errors").innerText();
      expect(errors).toContain("Row 4");
      expect(errors).toContain("'call me maybe' is not a phone number");
      expect(await page.locator('[data-testid="import-merge"][data-row="5"]').getAttribute("data-merge")).toBe("file");
      expect(await page.locator('[data-testid="import-merge"][data-row="5"]').innerText()).toBe("merged with row 2");
      expect(await preview.locator("tr", { hasText: "+31612340002" }).innerText()).toContain("appointment_date");
      // A dry run: nothing is in the campaign yet.
      expect(t.store.campaigns.get(campaignId)!.total_leads).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, "console-campaign-import.png"), fullPage: true });
      await noSeriousViolations("campaign import preview");

      await page.getByTestId("import-commit").click();
      await page.getByTestId("import-done").waitFor({ timeout: 15_000 });
      expect(await text("import-done")).toContain("3 new, 1 merged, 1 rows skipped");
      expect(t.store.campaigns.get(campaignId)!.total_leads).toBe(3);
      await expect.poll(() => page.getByTestId("lead-row").count(), { timeout: 15_000 }).toBe(3);
      // The duplicate merged into Jan's lead: the later row's value won.
      const jan = t.store.campaigns.leads(campaignId, 10, 0).leads.find((l) => l.phone_number === "+31612340001")!;
      expect(jan.variables).toEqual({ appointment_date: "Saturday" });
    });

    it("runs preflight: the missing variable, rendered samples and the window verdict", async () => {
      await page.getByTestId("preflight-run").click();
      const report = page.getByTestId("preflight-report");
      await report.waitFor({ timeout: 15_000 });
      expect(await report.getAttribute("data-ok")).toBe("false");
      const missing = await page.getByTestId("preflight-missing").innerText();
      expect(missing).toContain("+31612340002");
      expect(missing).toContain("appointment_date");
      const samples = await page.getByTestId("preflight-sample").allInnerTexts();
      expect(samples.join("\n")).toContain("You remind Jan of the appointment on Saturday.");
      expect(samples.join("\n")).toContain("You remind Anna of the appointment on Tuesday.");
      expect(await page.getByTestId("preflight-capacity").getAttribute("data-fits")).toBe("true");
      expect(await text("preflight-capacity")).toContain("Fits.");
      await page.screenshot({ path: join(ARTIFACTS, "console-campaign-preflight.png"), fullPage: true });
      await noSeriousViolations("campaign preflight");
    });

    it("starts with the keyboard, shows calls in flight, pauses and resumes, and the leads' outcomes move", async () => {
      await page.evaluate("document.activeElement?.blur()");
      await tabTo(page, "campaign-start");
      await page.keyboard.press("Enter");
      await expect
        .poll(() => page.getByTestId("campaign-status").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("scheduled");
      expect(await text("campaign-status")).toBe("Running");

      // Both dialable leads are called (2 at once), the one missing a value is skipped without a call.
      await expect
        .poll(async () => page.getByTestId("in-flight").getAttribute("data-count"), {
          timeout: 20_000,
          message: `dialled ${JSON.stringify(dialled)}, leads ${await leadsSeen()}`,
        })
        .toBe("2");
      expect(await page.getByTestId("count-calling").getAttribute("data-count")).toBe("2");
      expect(await page.getByTestId("count-skipped").getAttribute("data-count")).toBe("1");
      await expect
        .poll(() => leadRow("+31612340002").getByTestId("lead-outcome").innerText(), { timeout: 15_000 })
        .toBe("missing variables: appointment_date");
      await expect
        .poll(() => leadRow("+31612340001").getByTestId("lead-status").innerText(), { timeout: 15_000 })
        .toBe("Calling");
      expect(await page.getByTestId("eta").getAttribute("data-eta")).toMatch(/^[1-9]\d*$/);
      expect(dialled.sort()).toEqual(["+31612340001", "+31612340003"]);
      await page.screenshot({ path: join(ARTIFACTS, "console-campaign-running.png"), fullPage: true });
      await noSeriousViolations("campaign running");

      await page.getByTestId("campaign-pause").click();
      await expect
        .poll(() => page.getByTestId("campaign-status").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("paused");
      expect(await text("campaign-status")).toBe("Paused");
      expect(t.store.campaigns.get(campaignId)!.status).toBe("paused");

      // Calls in progress finish while paused: one answered, one busy (a retry in 15 minutes).
      held.get("+31612340001")!.release();
      held.get("+31612340003")!.release();
      await expect
        .poll(async () => leadRow("+31612340001").getByTestId("lead-status").innerText(), {
          timeout: 20_000,
          message: `leads ${await leadsSeen()}`,
        })
        .toBe("Completed");
      await expect
        .poll(() => leadRow("+31612340003").getByTestId("lead-outcome").innerText(), { timeout: 20_000 })
        .toBe("busy");
      expect(await leadRow("+31612340001").getByTestId("lead-outcome").innerText()).toBe("answered");
      expect(await leadRow("+31612340003").getByTestId("lead-status").innerText()).toBe("Pending");
      expect(await leadRow("+31612340003").innerText()).toMatch(/\b1\b/); // attempts
      const call = held.get("+31612340001")!.callId;
      expect(await leadRow("+31612340001").getByTestId("lead-call").getAttribute("href")).toBe(`#/calls/${call}`);
      await expect.poll(() => page.getByTestId("in-flight").getAttribute("data-count"), { timeout: 15_000 }).toBe("0");
      expect(await page.getByTestId("count-completed").getAttribute("data-count")).toBe("1");
      expect(await page.getByTestId("retry-waiting").innerText()).toContain("1");

      // Paused: the settings can be edited again.
      const concurrency = page.locator(
        '[data-testid="campaign-concurrency"] input, input[data-testid="campaign-concurrency"]',
      );
      await concurrency.fill("3");
      await concurrency.press("Tab");
      await page.getByTestId("campaign-save").click();
      await expect.poll(() => text("campaign-saved"), { timeout: 15_000 }).toBe("Saved");
      expect(t.store.campaigns.get(campaignId)!.max_concurrency).toBe(3);
      await page.getByTestId("campaign-resume").click();
      await expect
        .poll(() => page.getByTestId("campaign-status").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("scheduled");
      expect(await text("campaign-status")).toBe("Running");
      // Running: read-only until paused.
      expect(await page.getByTestId("campaign-save").count()).toBe(0);
      expect(await text("campaign-readonly")).toContain("Pause the campaign");
      await page.screenshot({ path: join(ARTIFACTS, "console-campaign-outcomes.png"), fullPage: true });

      // The list shows the campaign with its status and counters.
      await page.goto(`${t.url}/#/campaigns`);
      const row = page.locator("tr", { has: page.locator(`[data-testid="campaign-row"][data-id="${campaignId}"]`) });
      await expect.poll(() => row.getByTestId("campaign-row-status").innerText(), { timeout: 15_000 }).toBe("Running");
      expect(await row.innerText()).toContain("1 completed, 0 failed of 3");
      await page.screenshot({ path: join(ARTIFACTS, "console-campaigns.png"), fullPage: true });
      await noSeriousViolations("campaigns list");
    });

    it("cancels after a confirmation; a cancelled campaign is read-only", async () => {
      await page.goto(`${t.url}/#/campaigns/${campaignId}`);
      await page.getByTestId("campaign-cancel").click();
      await page.locator(".el-popconfirm").getByRole("button", { name: "Cancel campaign" }).click();
      await expect
        .poll(() => page.getByTestId("campaign-status").getAttribute("data-status"), { timeout: 15_000 })
        .toBe("cancelled");
      expect(await text("campaign-readonly")).toContain("can no longer be changed");
      expect(await page.getByTestId("campaign-save").count()).toBe(0);
      expect(await page.getByTestId("lead-import").count()).toBe(0);
      expect(await page.getByTestId("campaign-start").count()).toBe(0);
      // The lead waiting for its retry is skipped by the cancel.
      await expect
        .poll(() => leadRow("+31612340003").getByTestId("lead-status").innerText(), { timeout: 15_000 })
        .toBe("Skipped");
    });

    it("do-not-call list: an invalid number is refused with the E.164 rule, a valid one is added and removed", async () => {
      await page.goto(`${t.url}/#/campaigns`);
      await page.getByTestId("dnc-link").click();
      await page.waitForURL(/#\/do-not-call$/);
      await page.getByTestId("dnc-phone").fill("0612345678");
      await page.getByTestId("dnc-add").click();
      await expect.poll(() => page.locator(".el-form-item__error").first().innerText()).toContain("E.164");
      expect(t.store.campaigns.dncList()).toEqual([]);

      await page.getByTestId("dnc-phone").fill("+31 6 1234 9999");
      await page.getByTestId("dnc-reason").fill("asked not to be called");
      await page.getByTestId("dnc-add").click();
      const row = page.locator('[data-testid="dnc-row"][data-phone="+31612349999"]');
      await row.waitFor({ timeout: 15_000 });
      expect(t.store.campaigns.dncHas("+31612349999")).toBe(true);
      await expect.poll(() => page.locator(".el-form-item__error").count(), { timeout: 5_000 }).toBe(0);
      await page.screenshot({ path: join(ARTIFACTS, "console-do-not-call.png"), fullPage: true });
      await noSeriousViolations("do-not-call");

      await page.locator("tr", { has: row }).getByTestId("dnc-remove").click();
      await row.waitFor({ state: "detached", timeout: 15_000 });
      expect(await text("dnc-notice")).toBe("+31612349999 removed");
      expect(t.store.campaigns.dncHas("+31612349999")).toBe(false);
    });

    it("speaks Dutch", async () => {
      await page.evaluate(`localStorage.setItem("voicedock.locale", "nl")`);
      await page.goto(`${t.url}/#/campaigns/${campaignId}`);
      await page.reload();
      await expect.poll(() => text("campaign-status"), { timeout: 15_000 }).toBe("Geannuleerd");
      expect(await page.locator("h2", { hasText: "Voortgang" }).count()).toBe(1);
      await page.goto(`${t.url}/#/do-not-call`);
      await page.locator("h1", { hasText: "Bel-me-niet-lijst" }).waitFor({ timeout: 15_000 });
      await page.evaluate(`localStorage.setItem("voicedock.locale", "en")`);
      await page.reload();
      await page.locator("h1", { hasText: "Do-not-call list" }).waitFor({ timeout: 15_000 });
    });

    it("fits a 360 px wide screen without a page-wide horizontal scroll", async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const [path, name] of [
        ["campaigns", "campaigns"],
        [`campaigns/${campaignId}`, "campaign"],
        ["campaigns/new", "campaign-new"],
        ["do-not-call", "do-not-call"],
      ] as const) {
        await page.goto(`${t.url}/#/${path}`);
        await page.locator("h1").first().waitFor();
        await page.waitForTimeout(500);
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow, `${path} at 360 px`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(ARTIFACTS, `console-${name}-360.png`), fullPage: true });
      }
    });
  },
);
