import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, hasChromium } from "../helpers/browser.js";
import { launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { seriousViolations } from "../support/axe.js";
import { HISTORY_CALL_ID, seedHistoryCall } from "../support/history-call.js";

// Issue #16 part 6: a finished call's page shows what happened. The seeded call (test/support/history-call.ts)
// has seven transcript lines, three measured turns, a tool call, a digit, an interruption, its leg's media
// report and a 26 s recording; the page is read in real Chromium as a person would look at it.

let t: TestEngine;
let browser: Browser;
let page: Page;

const audio = () => page.getByTestId("recording-audio");
const line = (index: number) => page.locator(`[data-testid="transcript-line"][data-index="${index}"]`);
const currentTime = () => audio().evaluate((a) => (a as unknown as { currentTime: number }).currentTime);
const cells = (testid: string) =>
  page
    .getByTestId(testid)
    .locator("td[data-figure]")
    .evaluateAll((tds) => tds.map((td) => (td.textContent ?? "").trim()));

describe.skipIf(!hasChromium)("a call's history in Chromium (skipped only without Debian's chromium)", () => {
  beforeAll(async () => {
    expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
    t = await startTestEngine({ consoleDir: CONSOLE_DIR });
    seedHistoryCall(t.store, t.dataDir, t.url);
    // A context of our own (axe needs one), with the key saved as the console keeps it.
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.addInitScript(`localStorage.setItem("voicedock.apiKey", ${JSON.stringify(t.apiKey)})`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.goto(`${t.url}/#/calls/${HISTORY_CALL_ID}`);
    await page.getByTestId("call-timeline").waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("the reply-time table has a row per turn and p50/p95 computed from them", async () => {
    await expect.poll(() => page.getByTestId("latency-row").count()).toBe(3);
    const rows = await page
      .getByTestId("latency-row")
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 6).map((td) => td.textContent?.trim())),
      );
    expect(rows[1]).toEqual(["2", "Yes, Friday morning please.", "220 ms", "610 ms", "170 ms", "1200 ms"]);
    // Recognizer 180/220/160, model 420/610/380, voice 150/170/140, voice-to-voice 900/1200/850.
    expect(await cells("latency-p50")).toEqual(["180 ms", "420 ms", "150 ms", "900 ms"]);
    expect(await cells("latency-p95")).toEqual(["220 ms", "610 ms", "170 ms", "1200 ms"]);
    // The slowest turn's bar spans the whole track; the others are shorter.
    type Box = { getBoundingClientRect(): { width: number } };
    const widths = await page.getByTestId("latency-row").evaluateAll((trs) =>
      trs.map((tr) => {
        const width = (el: unknown) => (el as Box).getBoundingClientRect().width;
        const bars = [...tr.querySelectorAll(".track .seg")].reduce((s, el) => s + width(el), 0);
        return bars / width(tr.querySelector(".track"));
      }),
    );
    expect(widths[1]).toBeCloseTo(1, 2);
    expect(widths[0]).toBeCloseTo(900 / 1200, 2);
  });

  it("the audio card says in words how the call sounded", async () => {
    const card = page.getByTestId("media-quality");
    expect(await card.getAttribute("data-verdict")).toBe("fair");
    expect(await page.getByTestId("media-verdict").textContent()).toContain("Fair: mostly clear");
    expect(await page.getByTestId("quality-loss").textContent()).toContain("2.1 % from the caller, 0.2 % to them");
    expect(await page.getByTestId("quality-loss").textContent()).toContain("some loss");
    expect(await page.getByTestId("quality-jitter").textContent()).toContain("12.4 ms");
    expect(await page.getByTestId("quality-jitter").textContent()).toContain("steady");
    expect(await page.getByTestId("quality-rtt").textContent()).toContain("84 ms");
    expect(await page.getByTestId("quality-rtt").textContent()).toContain("no noticeable delay");
  });

  it("tool calls and digits sit between the lines at their time; the cut-off reply says so", async () => {
    const order = await page
      .locator('[data-testid="transcript-line"], [data-testid="timeline-marker"]')
      .evaluateAll((els) => els.map((el) => el.getAttribute("data-index") ?? el.getAttribute("data-type")));
    expect(order).toEqual(["0", "1", "2", "dtmf", "3", "tool_call", "4", "5", "6"]);
    const tool = page.locator('[data-testid="timeline-marker"][data-type="tool_call"]');
    expect(await tool.textContent()).toContain("Tool used: book_appointment");
    expect(await tool.textContent()).toContain("0:15");
    expect(await page.locator('[data-type="dtmf"]').textContent()).toContain("Caller pressed 1");
    expect(await line(4).getByTestId("line-interrupted").textContent()).toBe("cut off by the caller");
  });

  it("clicking a line plays the recording from it, and that line is the one marked as playing", async () => {
    await expect
      .poll(() => audio().evaluate((a) => (a as unknown as { duration: number }).duration))
      .toBeCloseTo(26, 0);
    // The reply "I've booked you in…" went out 16.2 s after answer (its turn event).
    expect(await line(4).getAttribute("data-start-ms")).toBe("16200");
    await line(4).click();
    const at = await currentTime();
    expect(at).toBeGreaterThanOrEqual(16.2);
    expect(at).toBeLessThan(17.5);
    await expect.poll(() => line(4).getAttribute("aria-current")).toBe("time");
    expect(await page.locator('[data-testid="transcript-line"][aria-current="time"]').count()).toBe(1);
    expect(await line(4).evaluate((el) => el.classList.contains("playing"))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "console-call-history.png"), fullPage: true });
    await page.getByTestId("call-timeline").screenshot({ path: join(ARTIFACTS, "console-call-history-timeline.png") });

    // As it plays on, the mark follows the recording: moved to 20 s, the caller's "Great, thank you." is playing.
    await audio().evaluate((a) => ((a as unknown as { currentTime: number }).currentTime = 20));
    await expect.poll(() => line(5).getAttribute("aria-current")).toBe("time");
    expect(await line(4).getAttribute("aria-current")).toBeNull();
  });

  it("the playing line is scrolled into the transcript's view when playback reaches it", async () => {
    // A short window: the transcript box (60 % of the height) shows only a few lines.
    await page.setViewportSize({ width: 1280, height: 500 });
    const list = page.locator(".timeline-items");
    await list.evaluate((el) => el.scrollTo(0, 0));
    const inView = (index: number) =>
      list.evaluate((box, i) => {
        type Rect = { top: number; bottom: number };
        const r = (el: unknown) => (el as { getBoundingClientRect(): Rect }).getBoundingClientRect();
        const b = r(box);
        const l = r(box.querySelector(`[data-index="${i}"]`));
        return l.top >= b.top - 1 && l.bottom <= b.bottom + 1;
      }, index);
    expect(await inView(6)).toBe(false);
    await audio().evaluate((a) => ((a as unknown as { currentTime: number }).currentTime = 23));
    await expect.poll(() => line(6).getAttribute("aria-current")).toBe("time");
    await expect.poll(() => inView(6)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("with the keyboard: Tab reaches a line, Enter plays from it", async () => {
    await line(1).focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(`document.activeElement?.getAttribute("data-index")`)).toBe("2");
    await page.keyboard.press("Enter");
    await expect.poll(() => line(2).getAttribute("aria-current")).toBe("time");
    const at = await currentTime();
    expect(at).toBeGreaterThanOrEqual(8.4);
    expect(at).toBeLessThan(9.7);
    await audio().evaluate((a) => (a as unknown as { pause(): void }).pause());
  });

  it("reads well in light and dark (axe: no serious contrast or labelling problems)", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(`window.scrollTo(0, 0)`);
    await page.screenshot({ path: join(ARTIFACTS, "console-call-history-1280.png") });
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(() => page.locator("html").getAttribute("class")).toContain("dark");
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ARTIFACTS, "console-call-history-dark.png"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: "light" });
  });
});
