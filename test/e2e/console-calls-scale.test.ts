import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { seedCallHistory, type SeededHistory } from "../support/call-history.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";

// Issue #15's acceptance, in the browser: with 100,000 calls in the store the calls list paints its first
// page within 1 s of navigating to it, and a search answers within 200 ms. Both are timed inside the page:
//  - t0 is the `timeStamp` of the Enter keydown that starts it (on the Calls navigation link, or in the
//    search box: the search has no debounce, it runs when Enter commits the text);
//  - t1 is the second animation frame after a MutationObserver saw the table show the expected answer (the
//    total and the first row's id the API gives for the same query): the frame that paints the rows has
//    then been produced.
// The engine's side alone is timed by test/integration/calls-search-scale.test.ts.

const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");
const ROWS = 100_000;
const RUNS = 5;

const PROBE = /* js */ `
(() => {
  let enter = null;
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") enter = e.timeStamp; }, true);
  const shows = (total, first) =>
    document.querySelector("[data-testid=calls-total]")?.textContent.trim() === String(total) &&
    document.querySelector("[data-testid=call-row]")?.getAttribute("data-call-id") === first;
  // A cold load: when the first rows of the document's life were painted, from navigation start (0).
  const firstRows = new MutationObserver(() => {
    if (!document.querySelector("[data-testid=call-row]")) return;
    firstRows.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => (window.__vdFirstPaint = performance.now())));
  });
  firstRows.observe(document, { subtree: true, childList: true });
  window.__vdUntil = (total, first) => {
    enter = null;
    return new Promise((resolve) => {
      const done = () => {
        obs.disconnect();
        const seen = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => resolve({ t0: enter, seen, painted: performance.now() })));
      };
      const obs = new MutationObserver(() => { if (enter !== null && shows(total, first)) done(); });
      obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  };
})();
`;

interface Timing {
  t0: number | null;
  seen: number;
  painted: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(", ")})`;

let t: TestEngine;
let h: SeededHistory;
let browser: Browser;
let page: Page;

/** What the API answers for a query: the list must show this total and first row. */
async function expected(q: string): Promise<{ total: number; first: string }> {
  const res = await t.api(`/api/v1/calls?limit=50${q ? `&q=${encodeURIComponent(q)}` : ""}`);
  const body = (await res.json()) as { calls: { id: string }[]; pagination: { total: number } };
  expect(body.calls.length, `API for q=${q}`).toBeGreaterThan(0);
  return { total: body.pagination.total, first: body.calls[0].id };
}

/** Starts waiting in the page for the answer, runs `act` (which presses Enter), returns ms from Enter to paint. */
async function timeUntilShown(want: { total: number; first: string }, act: () => Promise<void>): Promise<number> {
  // `; 0`: evaluate would otherwise wait for the promise, which only settles after the Enter below.
  await page.evaluate(`window.__vdWait = window.__vdUntil(${want.total}, ${JSON.stringify(want.first)}); 0`);
  await act();
  const r = (await Promise.race([
    page.evaluate("window.__vdWait"),
    page.waitForTimeout(20_000).then(async () => {
      const shown = await page.evaluate(
        `[location.hash, document.querySelector("[data-testid=calls-total]")?.textContent, document.querySelector("[data-testid=call-row]")?.dataset.callId, document.querySelector("main")?.innerText.slice(0, 200)]`,
      );
      throw new Error(
        `waited 20 s for total ${want.total} and first ${want.first}; the page shows ${JSON.stringify(shown)}`,
      );
    }),
  ])) as Timing;
  expect(r.t0, "no Enter keydown seen").not.toBeNull();
  return r.painted - r.t0!;
}

describe.skipIf(!existsSync(CHROMIUM))(
  "the calls list with 100,000 calls in Chromium (skipped only where chromium is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipPort: null });
      h = seedCallHistory(t.store, ROWS);
      console.log(`seeded ${ROWS} calls in ${h.seconds.toFixed(1)} s`);
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
      await context.addInitScript({ content: PROBE });
      page = await context.newPage();
      mkdirSync(ARTIFACTS, { recursive: true });
    }, 400_000);

    afterAll(async () => {
      await browser?.close();
      await t?.stop();
    });

    it("paints the first page within 1 s of Enter on the Calls link (median of 5 fresh loads)", async () => {
      const want = await expected("");
      expect(want.total).toBe(ROWS);
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // A fresh document each time, so no calls are left in the page's store from the run before.
        await page.goto("about:blank");
        await page.goto(`${t.url}/#/keys`);
        await page.locator("main h1").waitFor();
        await page.getByTestId("nav-calls").focus();
        times.push(await timeUntilShown(want, () => page.keyboard.press("Enter")));
        expect(await page.getByTestId("call-row").count()).toBe(50);
      }
      await page.screenshot({ path: join(ARTIFACTS, "console-calls-100k.png") });
      console.log(`calls list, first page painted after Enter on the nav link: ${fmt(times)}`);
      expect(median(times), fmt(times)).toBeLessThanOrEqual(1000);

      // For the record (bench/README.md), not the criterion: the console opened straight on the list, its
      // 2.7 MB of script parsed first, from navigation start to the first rows painted.
      const cold: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.goto("about:blank");
        await page.goto(`${t.url}/#/calls`);
        await expect.poll(() => page.evaluate("window.__vdFirstPaint ?? null"), { timeout: 20_000 }).not.toBeNull();
        cold.push((await page.evaluate("window.__vdFirstPaint")) as number);
        expect(await page.getByTestId("call-row").first().getAttribute("data-call-id")).toBe(want.first);
      }
      console.log(`calls list opened cold (navigation start to first rows painted): ${fmt(cold)}`);
    }, 240_000);

    it("answers a search typed in the search box within 200 ms (median of 5 per query)", async () => {
      const queries = [h.rareWord, h.commonWord, "reception robin", h.newestCaller, "sales"];
      const all = await expected("");
      const lines: string[] = [];
      const medians: Record<string, number> = {};
      for (const q of queries) {
        const want = await expected(q);
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const box = page.getByTestId("calls-search");
          await box.focus();
          await page.keyboard.press("ControlOrMeta+a");
          await page.keyboard.type(q);
          times.push(await timeUntilShown(want, () => page.keyboard.press("Enter")));
          // Back to the whole list (also by keyboard), so the next run's answer is a change again.
          await box.focus();
          await page.keyboard.press("ControlOrMeta+a");
          await page.keyboard.press("Backspace");
          await timeUntilShown(all, () => page.keyboard.press("Enter"));
        }
        medians[q] = median(times);
        lines.push(`q=${q} (${want.total} calls): ${fmt(times)}`);
      }
      // The one call with the rare word is the one shown.
      await page.getByTestId("calls-search").fill(h.rareWord);
      await page.keyboard.press("Enter");
      await expect.poll(() => page.getByTestId("call-row").count()).toBe(1);
      expect(await page.getByTestId("call-row").getAttribute("data-call-id")).toBe(h.rareCallId);
      await page.screenshot({ path: join(ARTIFACTS, "console-calls-100k-search.png") });
      console.log(`calls search, Enter in the search box to rows painted:\n${lines.join("\n")}`);
      for (const q of queries) expect(medians[q], lines.join("\n")).toBeLessThanOrEqual(200);
    }, 300_000);
  },
);
