import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, CONSOLE_DIR, consoleBrowser, hasChromium } from "../helpers/browser.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import type { TurnMetrics } from "../../main/engine/voice/session.js";

/** A reply's figures as the voice session reports them (only the ones the board shows matter here). */
const turn = (n: number, v2v: number): TurnMetrics => ({
  turn: n,
  vad_tail_ms: 40,
  endpointing_ms: 300,
  preempt_ms: 200,
  stt_ms: 90,
  recognizer_ms: 180,
  llm_first_token_ms: 240,
  tts_first_audio_ms: 60,
  hold_ms: 0,
  playout_ms: 20,
  voice_to_voice_ms: v2v,
  overhead_ms: 40,
  interrupted: false,
  speech_end_at: 0,
  vad_end_at: 0,
  sent_at: 0,
});

/**
 * The live board in Chromium against a real engine: calls are created and moved through the engine's own
 * call manager (the path SIP calls take), and everything reaches the page over the events WebSocket.
 */
describe.skipIf(!hasChromium)("the live board (skipped only where Debian's chromium package is not installed)", () => {
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

  const create = (id: string, caller: string) => {
    t.engine.calls.create({
      id,
      status: "connecting",
      direction: "inbound",
      caller_phone: caller,
      agent_name: "Front desk",
      assistant_config: { name: "Front desk" },
    });
  };
  const row = (id: string) => page.locator(`[data-testid="live-row"][data-call-id="${id}"]`);
  const seconds = (s: string) => s.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);

  it("a new call's row appears within 1 s, its duration ticks, hold and takeover change who has it, and the keyboard opens it", async () => {
    await page.goto(`${t.url}/#/live`);
    await expect.poll(() => page.getByTestId("ws-state").textContent()).toContain("live");
    await page.getByTestId("live-empty").waitFor();

    // When the row appears, timed in the page (same machine, same clock) against the create call below.
    // (In the page's own words: the tests are type-checked without the DOM's types.)
    await page.evaluate(`
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-call-id="call_live_1"]')) {
          window.rowAt = Date.now();
          obs.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    `);
    const createdAt = Date.now();
    create("call_live_1", "+31612340001");
    await row("call_live_1").waitFor({ timeout: 2000 });
    const appearedMs = ((await page.evaluate("window.rowAt")) as number) - createdAt;
    console.log(`row visible ${appearedMs} ms after the call was created`);
    expect(appearedMs).toBeLessThanOrEqual(1000);
    await expect.poll(() => row("call_live_1").getAttribute("data-state")).toBe("connecting");

    // Answered: in progress, with its assistant; the duration counts up every second.
    t.engine.calls.transition("call_live_1", "in-progress");
    await expect.poll(() => row("call_live_1").getAttribute("data-state")).toBe("in-progress");
    await expect.poll(() => row("call_live_1").getAttribute("data-holder")).toBe("assistant");
    const first = seconds((await row("call_live_1").getByTestId("live-duration").textContent())!.trim());
    await expect
      .poll(async () => seconds((await row("call_live_1").getByTestId("live-duration").textContent())!.trim()), {
        timeout: 3000,
      })
      .toBeGreaterThanOrEqual(first + 2);

    // What was said last, and the last reply's latency in its band.
    t.engine.calls.addMessage("call_live_1", "user", "I would like to move my appointment to Friday.");
    await expect.poll(() => row("call_live_1").getByTestId("live-last-line").textContent()).toContain("Friday");
    t.engine.calls.turn("call_live_1", turn(1, 1240));
    t.engine.calls.turn("call_live_1", turn(2, 640));
    await expect.poll(() => row("call_live_1").getByTestId("live-latency").textContent()).toBe("640 ms");
    expect(await row("call_live_1").getByTestId("live-latency").getAttribute("class")).toContain("good");

    // A person takes it over, then holds it: the row says so, and back when the hold ends.
    t.engine.calls.ownerChanged("call_live_1", "taken_over");
    await expect.poll(() => row("call_live_1").getAttribute("data-holder")).toBe("person");
    t.engine.calls.held("call_live_1", true, "us");
    await expect.poll(() => row("call_live_1").getAttribute("data-holder")).toBe("hold");
    expect(await row("call_live_1").getByTestId("live-holder").textContent()).toBe("on hold");

    // A second call, ringing; the board's preview follows the row the arrows are on.
    create("call_live_2", "+31612340002");
    t.engine.calls.markRinging("call_live_2");
    await expect.poll(() => row("call_live_2").getAttribute("data-state")).toBe("ringing");
    t.engine.calls.addMessage("call_live_1", "assistant", "Friday at ten works, shall I book it?");
    t.engine.calls.addMessage("call_live_1", "system", "The caller is a member since 2019.");
    t.engine.calls.addMessage("call_live_1", "assistant", "Please hold while I check.", "say");
    await expect.poll(() => page.getByTestId("live-line").count()).toBe(4);
    const kinds = await page.getByTestId("live-line").evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
    expect(kinds).toEqual(["user", "assistant", "note", "say"]);
    expect(await page.getByRole("log").getAttribute("aria-live")).toBe("polite");
    expect(await page.getByTestId("latency-meter").getAttribute("data-ms")).toBe("640");
    await page.screenshot({ path: join(ARTIFACTS, "live-board.png") });

    // Keyboard: one tab stop on the first row's link; ArrowDown moves to the next row, Enter opens it.
    await row("call_live_1").getByTestId("live-open").focus();
    await page.keyboard.press("ArrowDown");
    await expect
      .poll(() => page.evaluate(`document.activeElement?.closest("tr")?.getAttribute("data-call-id")`))
      .toBe("call_live_2");
    expect(
      await page.getByTestId("live-open").evaluateAll((els) => els.map((e) => e.getAttribute("tabindex"))),
    ).toEqual(["-1", "0"]);
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/calls\/call_live_2$/);
    await page.getByTestId("call-detail").waitFor();

    // Ended calls leave the board.
    t.engine.calls.transition("call_live_1", "ended", { end_reason: "user_hangup" });
    await page.goto(`${t.url}/#/live`);
    await row("call_live_2").waitFor();
    await expect.poll(() => row("call_live_1").count()).toBe(0);
  }, 60_000);
});
