import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";

const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");

let t: TestEngine;
let browser: Browser;
let page: Page;

function seed(t: TestEngine): void {
  const day = (d: number, h = 9) => new Date(Date.UTC(2026, 10, d, h, 0, 0)).toISOString();
  const rows = [
    {
      id: "call-inbound-e2e1",
      status: "ended",
      caller_phone: "+31612345671",
      created_at: day(20),
      duration: 95,
      reason: "user_hangup",
    },
    {
      id: "call-inbound-e2e2",
      status: "failed",
      caller_phone: "+31612345672",
      created_at: day(21),
      duration: 0,
      reason: "sip_error",
      error: "SIP trunk 'Main' answered 503",
    },
    {
      id: "call-outbound-e2e3",
      status: "ended",
      caller_phone: "+31612345673",
      created_at: day(22),
      duration: 42,
      reason: "assistant_hangup",
    },
  ] as const;
  for (const r of rows) {
    t.store.calls.create({
      id: r.id,
      status: "connecting",
      direction: r.id.includes("outbound") ? "outbound" : "inbound",
      caller_phone: r.caller_phone,
      assistant_phone: "+31850835037",
      agent_name: "Front desk",
      created_at: r.created_at,
    });
    t.store.calls.update(r.id, {
      status: r.status,
      started_at: r.created_at,
      ended_at: r.created_at,
      duration_seconds: r.duration,
      end_reason: r.reason,
      error: "error" in r ? r.error : null,
      summary: r.status === "ended" ? "Caller moved her appointment to Friday." : null,
    });
  }
  t.store.calls.addMessage("call-inbound-e2e1", {
    role: "assistant",
    content: "Good morning, Riverside Dental, how can I help?",
    at: day(20),
  });
  t.store.calls.addMessage("call-inbound-e2e1", {
    role: "user",
    content: "I need to move my appointment.",
    at: day(20),
  });
}

describe.skipIf(!existsSync(CHROMIUM))(
  "console in Chromium (skipped only where Debian's chromium package is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      t = await startTestEngine({ consoleDir: CONSOLE_DIR });
      seed(t);
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      mkdirSync(ARTIFACTS, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
    });

    it("asks for the key, then lists the seeded calls, newest first", async () => {
      await page.goto(`${t.url}/`);
      await page.getByTestId("api-key-input").fill(t.apiKey);
      await page.getByTestId("api-key-save").click();
      await page.getByTestId("call-row").first().waitFor();
      const ids = await page
        .getByTestId("call-row")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-call-id")));
      expect(ids).toEqual(["call-outbound-e2e3", "call-inbound-e2e2", "call-inbound-e2e1"]);
      await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");
    });

    it("filters by status through the API", async () => {
      await page.getByTestId("status-filter").selectOption("failed");
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      expect(await page.getByTestId("call-row").getAttribute("data-call-id")).toBe("call-inbound-e2e2");
      await page.getByTestId("status-filter").selectOption("");
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(3);
    });

    it("shows a call created while the page is open, without a reload (events WebSocket)", async () => {
      t.engine.calls.create({
        id: "call-inbound-live9",
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31699999999",
        agent_name: "Front desk",
      });
      await expect.poll(() => page.locator('[data-call-id="call-inbound-live9"]').count()).toBe(1);
      t.engine.calls.transition("call-inbound-live9", "in-progress");
      await expect
        .poll(() => page.locator('[data-call-id="call-inbound-live9"] .badge').textContent())
        .toBe("in-progress");
      await page.screenshot({ path: join(ARTIFACTS, "console-calls.png"), fullPage: true });
    });

    it("opens a call and shows its details and transcript", async () => {
      await page.locator('[data-call-id="call-inbound-e2e1"]').click();
      await page.getByTestId("call-detail").waitFor();
      await expect.poll(() => page.getByTestId("transcript-line").count()).toBe(2);
      expect(await page.getByTestId("call-detail").textContent()).toContain("Caller moved her appointment to Friday.");
      expect(await page.getByTestId("transcript-line").first().textContent()).toContain(
        "Good morning, Riverside Dental",
      );
      await page.screenshot({ path: join(ARTIFACTS, "console-call.png"), fullPage: true });
      // Titled by who called and when, not by the call's id.
      expect(await page.getByTestId("call-title").textContent()).toContain("+31612345671");
      expect(await page.getByTestId("call-title").textContent()).not.toContain("call-inbound-e2e1");
    });

    it("a missed call shows as a count on Calls in the navigation until the list is seen, is marked in the list, and filters alone", async () => {
      // On a call's page (the previous test), a call for a person rings out unanswered.
      t.engine.calls.create({
        id: "call-inbound-missed1",
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31688888888",
      });
      t.engine.calls.transition("call-inbound-missed1", "ended", { end_reason: "no_answer" });
      await expect.poll(() => page.getByTestId("missed-count").textContent()).toBe("1");
      // Counted again from the engine after a reload (seen until: kept in the browser).
      await page.reload();
      await expect.poll(() => page.getByTestId("missed-count").textContent()).toBe("1");
      await page.screenshot({ path: join(ARTIFACTS, "console-missed.png") });
      await page.getByTestId("nav-calls").click();
      await page.locator('[data-call-id="call-inbound-missed1"]').waitFor();
      await expect.poll(() => page.getByTestId("missed-count").count()).toBe(0);
      expect(await page.locator('[data-call-id="call-inbound-missed1"] [data-testid="missed-badge"]').count()).toBe(1);
      expect(await page.getByTestId("missed-badge").count()).toBe(1);
      await page.getByTestId("missed-filter").check();
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      expect(page.url()).toMatch(/missed=1/);
      await page.getByTestId("missed-filter").uncheck();
      await expect.poll(() => page.getByTestId("call-row").count()).toBeGreaterThan(1);
    });

    it("searches with q and keeps the filters in the URL across a reload", async () => {
      await page.goto(`${t.url}/#/calls`);
      await page.getByTestId("call-row").first().waitFor();
      await page.getByTestId("calls-search").fill("appointment");
      await page.getByTestId("calls-search").press("Enter");
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      expect(await page.getByTestId("call-row").getAttribute("data-call-id")).toBe("call-inbound-e2e1");
      await page.getByTestId("status-filter").selectOption("ended");
      await expect.poll(() => page.url()).toMatch(/q=appointment/);
      expect(page.url()).toMatch(/status=ended/);
      await page.reload();
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      expect(await page.getByTestId("calls-search").inputValue()).toBe("appointment");
      expect(await page.getByTestId("status-filter").inputValue()).toBe("ended");
    });

    it("hides a column for good and exports the rows shown as CSV and JSON", async () => {
      await page.goto(`${t.url}/#/calls?status=failed`);
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      const headers = () => page.locator('[data-testid="calls-table"] thead th').allTextContents();
      expect(await headers()).toContain("End reason");
      await page.getByTestId("columns-button").click();
      await page.getByTestId("column-endReason").click();
      await expect.poll(headers).not.toContain("End reason");
      await page.reload();
      await page.getByTestId("call-row").first().waitFor();
      expect(await headers()).not.toContain("End reason");

      const [csv] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
      const csvText = readFileSync(await csv.path(), "utf8")
        .trim()
        .split(/\r?\n/);
      expect(csvText[0]).toMatch(/^id,created_at,/);
      expect(csvText).toHaveLength(2);
      expect(csvText[1]).toContain("call-inbound-e2e2");
      const [json] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-json").click()]);
      const rows = JSON.parse(readFileSync(await json.path(), "utf8")) as { id: string }[];
      expect(rows.map((r) => r.id)).toEqual(["call-inbound-e2e2"]);
    });

    it("plays a recording, fetched with the key (a bare <audio src> gets 401)", async () => {
      // One second of 8 kHz 16-bit mono silence where the engine keeps recordings.
      const samples = 8000;
      const wav = Buffer.alloc(44 + samples * 2);
      wav.write("RIFF", 0);
      wav.writeUInt32LE(36 + samples * 2, 4);
      wav.write("WAVEfmt ", 8);
      wav.writeUInt32LE(16, 16);
      wav.writeUInt16LE(1, 20);
      wav.writeUInt16LE(1, 22);
      wav.writeUInt32LE(8000, 24);
      wav.writeUInt32LE(16000, 28);
      wav.writeUInt16LE(2, 32);
      wav.writeUInt16LE(16, 34);
      wav.write("data", 36);
      wav.writeUInt32LE(samples * 2, 40);
      mkdirSync(join(t.dataDir, "recordings"), { recursive: true });
      writeFileSync(join(t.dataDir, "recordings", "call-inbound-e2e1.wav"), wav);
      const url = `${t.url}/api/v1/calls/call-inbound-e2e1/recording`;
      t.store.calls.update("call-inbound-e2e1", { recording_url: url });
      expect((await fetch(url)).status).toBe(401);

      await page.goto(`${t.url}/#/calls/call-inbound-e2e1`);
      const audio = page.getByTestId("recording-audio");
      await audio.waitFor();
      expect(await audio.getAttribute("src")).toMatch(/^blob:/);
      await expect.poll(() => audio.evaluate((a) => (a as unknown as { duration: number }).duration)).toBeCloseTo(1, 1);
    });
  },
);
