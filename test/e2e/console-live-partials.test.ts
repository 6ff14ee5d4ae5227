import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

/**
 * The live transcript's line in progress in Chromium against a real engine: the events (`call.partial`,
 * then the final `call.message` with its turn) are published by the engine's own call manager, the path
 * the voice session's and the takeover scribe's partials take, and reach the page over the events WebSocket.
 */
describe.skipIf(!hasChromium)(
  "the live transcript's partial line (skipped only where Debian's chromium package is not installed)",
  () => {
    let t: TestEngine;
    let browser: Browser;
    let page: Page;
    beforeAll(async () => {
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipPort: null });
      ({ browser, page } = await consoleBrowser(t.apiKey));
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
    });

    const interim = () => page.getByTestId("live-interim");
    const lines = () => page.getByTestId("live-line").allTextContents();

    it("a partial updates one greyed, italic line in place, out of the screen reader's live log; its final line replaces it", async () => {
      const id = "call_partials_ui";
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612340009",
        agent_name: "Front desk",
        assistant_config: { name: "Front desk" },
      });
      t.engine.calls.transition(id, "in-progress");
      t.engine.calls.addMessage(id, "assistant", "Good morning, how can I help?");
      await page.goto(`${t.url}/#/calls/${id}`);
      await page.getByTestId("live-transcript").waitFor();
      await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");

      const partial = (text: string, turn: number) => t.engine.calls.partial(id, { role: "user", text, turn });
      partial("I would", 1);
      await expect.poll(() => interim().count()).toBe(1);
      expect(await interim().textContent()).toContain("I would");
      // Mark the element: an update in place keeps it, a new line would not have the mark.
      await interim().evaluate((el) => el.setAttribute("data-mark", "first"));
      partial("I would like to book a", 1);
      await expect.poll(() => interim().textContent()).toContain("I would like to book a");
      expect(await interim().count()).toBe(1);
      expect(await interim().getAttribute("data-mark")).toBe("first");
      // Visibly interim, and inside the log (role=log) but in a part screen readers do not announce.
      expect(await interim().evaluate((el) => (globalThis as any).getComputedStyle(el).fontStyle)).toBe("italic");
      expect(await interim().evaluate((el) => el.closest('[aria-live="off"]') !== null)).toBe(true);
      expect(await interim().evaluate((el) => el.closest('[role="log"]')?.getAttribute("aria-live"))).toBe("polite");
      await page.screenshot({ path: join(ARTIFACTS, "live-partial.png") });

      // The final line: it takes the partial's place; the partial is gone.
      t.engine.calls.addMessage(id, "user", "I would like to book a table for two.", undefined, 1);
      await expect.poll(() => interim().count()).toBe(0);
      await expect
        .poll(lines)
        .toEqual([
          expect.stringContaining("Good morning"),
          expect.stringContaining("I would like to book a table for two."),
        ]);
      // A partial of that turn arriving late changes nothing; the next turn's shows as a new line.
      partial("I would like to book a table", 1);
      partial("For", 2);
      await expect.poll(() => interim().textContent()).toContain("For");
      expect(await interim().count()).toBe(1);
      expect(await interim().getAttribute("data-turn")).toBe("2");
      // Taken back (the speech made no words): the line goes.
      partial("", 2);
      await expect.poll(() => interim().count()).toBe(0);

      // The call ends with a partial on screen: it does not stay behind.
      partial("Thank", 2);
      await expect.poll(() => interim().count()).toBe(1);
      t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
      await expect.poll(() => page.getByTestId("live-interim").count()).toBe(0);
    }, 60_000);

    it("scrolled up, partials do not pull the view down; 'Jump to latest' counts new final lines and returns to them", async () => {
      const id = "call_partials_scroll";
      t.engine.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612340010",
        agent_name: "Front desk",
        assistant_config: { name: "Front desk" },
      });
      t.engine.calls.transition(id, "in-progress");
      for (let i = 1; i <= 30; i++) t.engine.calls.addMessage(id, "assistant", `Line ${i} of a long call.`);
      await page.goto(`${t.url}/#/calls/${id}`);
      await page.getByTestId("live-transcript").waitFor();
      await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");
      const log = page.getByRole("log");
      await log.evaluate((el) => {
        el.scrollTop = 0;
        el.dispatchEvent(new (globalThis as any).Event("scroll"));
      });
      await page.getByTestId("jump-latest").waitFor();
      t.engine.calls.partial(id, { role: "user", text: "Hello is anyone", turn: 1 });
      await expect.poll(() => interim().count()).toBe(1);
      expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
      t.engine.calls.addMessage(id, "user", "Hello, is anyone there?", undefined, 1);
      await expect.poll(() => page.getByTestId("jump-latest").textContent()).toContain("1 new");
      await page.getByTestId("jump-latest").click();
      await expect
        .poll(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight))
        .toBeLessThanOrEqual(24);
      t.engine.calls.transition(id, "ended", { end_reason: "user_hangup" });
    }, 60_000);
  },
);
