import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";
import { seriousViolations, settled } from "../support/axe.js";

// The Assistants page in Debian's Chromium against a real engine (real SQLite, real Flite voices, the
// engine's own provider checks). The one outside party is a local OpenAI-compatible server, as Ollama
// would be, so the check can be seen passing after an edit.
const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");

let t: TestEngine;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let llm: Server;
let llmUrl = "";

/** Presses Tab (or Shift+Tab) until the focused element is inside the one with this test id. */
async function tabTo(p: Page, testId: string, { back = false, max = 80 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    // Page-side code as strings: this file compiles without the DOM library.
    if (await p.evaluate(`!!document.activeElement?.closest('[data-testid="${testId}"]')`)) return;
    await p.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  const at = await p.evaluate(`document.activeElement?.outerHTML.slice(0, 200) ?? "nothing"`);
  throw new Error(`Tab never reached [data-testid="${testId}"]; focus is on ${at}`);
}

const card = (p: Page, name: string) => p.locator(`[data-testid="assistant"][data-name="${name}"]`);
const value = (p: Page, testId: string) => p.getByTestId(testId).inputValue();

async function apiAssistants(): Promise<Record<string, any>[]> {
  return ((await (await t.api("/api/v1/assistants")).json()) as { assistants: Record<string, any>[] }).assistants;
}

let frontDeskId = "";

describe.skipIf(!existsSync(CHROMIUM))(
  "console Assistants page in Chromium (skipped only where chromium is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      llm = createServer((req, res) => {
        if (req.method === "GET" && req.url === "/v1/models") {
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ object: "list", data: [{ id: "llama3.2", object: "model", owned_by: "local" }] }));
        } else res.writeHead(404).end();
      });
      await new Promise<void>((r) => llm.listen(0, "127.0.0.1", () => r()));
      llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
      t = await startTestEngine({ consoleDir: CONSOLE_DIR, sipPort: null });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
      await context.addInitScript(
        (key) =>
          (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(
            "voicedock.apiKey",
            key,
          ),
        t.apiKey,
      );
      page = await context.newPage();
      // The console's own errors end up in the test output, next to the step that failed.
      page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
      page.on("response", (r) => {
        if (r.status() >= 400) console.error(`[http ${r.status()}] ${r.request().method()} ${r.url()}`);
      });
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") console.error(`[console ${m.type()}] ${m.text()}`);
      });
      mkdirSync(ARTIFACTS, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
      await t?.stop();
      llm?.close();
    });

    it("creates an assistant from a template and saves an edit with the keyboard only", async () => {
      await page.goto(`${t.url}/#/assistants`);
      await page.getByTestId("assistants-empty").waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "console-assistants-empty.png"), fullPage: true });
      expect(await seriousViolations(page), "axe on the empty list").toEqual([]);

      await page.locator("body").focus();
      await tabTo(page, "assistant-from-template");
      await page.keyboard.press("Enter");
      await page.locator('[data-testid="template"]').first().waitFor();
      await settled(page);
      await page.screenshot({ path: join(ARTIFACTS, "console-assistants-templates.png") });
      expect(await seriousViolations(page), "axe on the template dialog").toEqual([]);
      // English console: the English templates come first; the receptionist leads.
      await tabTo(page, "template");
      expect(
        await page.evaluate(`document.activeElement?.closest('[data-testid="template"]')?.dataset.templateId`),
      ).toBe("receptionist-en");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/assistants\/[0-9a-f-]{36}$/, { timeout: 15_000 });
      frontDeskId = page.url().split("/").pop()!;
      await page.getByTestId("assistant-name").waitFor();
      expect(await value(page, "assistant-name")).toBe("Receptionist");
      expect(await value(page, "stt-provider")).toBe("whisper");
      expect(await value(page, "llm-provider")).toBe("openai_compatible");
      expect(await value(page, "tts-provider")).toBe("local");

      await tabTo(page, "assistant-name");
      await page.keyboard.press("ControlOrMeta+a");
      await page.keyboard.type("Front desk");
      await tabTo(page, "assistant-first-message");
      await page.keyboard.press("ControlOrMeta+a");
      await page.keyboard.type("Good morning, Bakkerij de Vries, how can I help?");
      await tabTo(page, "assistant-name", { back: true });
      // Enter in a field submits the form, as in any web form.
      await page.keyboard.press("Enter");
      await expect
        .poll(() => page.getByTestId("assistant-title").textContent(), { timeout: 10_000 })
        .toBe("Front desk");

      await page.reload();
      await page.getByTestId("assistant-name").waitFor();
      expect(await value(page, "assistant-name")).toBe("Front desk");
      expect(await value(page, "assistant-first-message")).toBe("Good morning, Bakkerij de Vries, how can I help?");
      const saved = (await apiAssistants()).find((a) => a.id === frontDeskId)!;
      expect(saved).toMatchObject({
        name: "Front desk",
        first_message: "Good morning, Bakkerij de Vries, how can I help?",
        stt_config: { provider: "whisper", model: "base.en" },
        tts_config: { provider: "local", voice_id: "flite-slt" },
      });
    });

    it("shows model availability, runs the per-provider check, and sees it pass after pointing at a running LLM", async () => {
      // A fresh data dir has no Whisper model: the picker says so and links to the Models page.
      const state = page.getByTestId("stt-model-state");
      expect(await state.getAttribute("data-state")).toBe("missing");
      expect(await state.textContent()).toContain("whisper-base.en");

      await page.getByTestId("assistant-check").click();
      const results = page.getByTestId("check-results");
      await results.waitFor({ timeout: 20_000 });
      const row = (kind: string) => page.locator(`[data-testid="check-result"][data-kind="${kind}"]`);
      expect(await row("stt").getAttribute("data-ok"), (await row("stt").textContent()) ?? "").toBe("false");
      expect(await row("stt").textContent()).toContain("not downloaded");
      // Nothing listens where the template expects Ollama in this test machine: the LLM is not ready, with why.
      const llmText = (await row("llm").textContent()) ?? "";
      expect(await row("llm").getAttribute("data-ok"), llmText).toBe("false");
      expect(llmText).toMatch(/could not be reached|does not offer/);
      expect(await row("tts").getAttribute("data-ok"), (await row("tts").textContent()) ?? "").toBe("true");
      await page.screenshot({ path: join(ARTIFACTS, "console-assistant-check.png"), fullPage: true });

      await page.getByTestId("llm-base-url").fill(llmUrl);
      await page.getByTestId("assistant-dirty").waitFor();
      await page.getByTestId("assistant-save").click();
      await page.getByTestId("assistant-dirty").waitFor({ state: "detached", timeout: 10_000 });
      await page.getByTestId("assistant-check").click();
      await expect.poll(() => row("llm").getAttribute("data-ok"), { timeout: 20_000 }).toBe("true");
      expect(await row("llm").textContent()).toContain("model 'llama3.2' is offered");
      expect(await page.getByTestId("check-results").getAttribute("data-ok")).toBe("false");
      expect(await seriousViolations(page), "axe on the editor with check results").toEqual([]);
    });

    it("plays the first message in the chosen voice", async () => {
      await page.getByTestId("tts-voice").selectOption("flite-rms");
      await page.getByTestId("voice-preview").click();
      const audio = page.getByTestId("voice-preview-audio");
      await audio.waitFor({ timeout: 20_000 });
      const err = page.getByTestId("voice-preview-error");
      if (await err.count()) throw new Error(`preview failed: ${await err.textContent()}`);
      // The element plays: its clock moves (headless Chromium plays into a null sink at real speed).
      await expect
        .poll(async () => Number(await audio.evaluate((a) => (a as unknown as { currentTime: number }).currentTime)), {
          timeout: 15_000,
        })
        .toBeGreaterThan(0.2);
      const duration = Number(await audio.evaluate((a) => (a as unknown as { duration: number }).duration));
      // "Good morning, Bakkerij de Vries, how can I help?" takes a couple of seconds to say.
      expect(duration, `duration ${duration}`).toBeGreaterThan(1);
      expect(duration, `duration ${duration}`).toBeLessThan(15);
    });

    it("edits speech, tools, analysis, webhook and recording; a reload shows every value, the secret stays hidden", async () => {
      await page.getByTestId("assistant-prompt").fill("You answer for Bakkerij de Vries. Be brief.");
      await page.getByTestId("stt-model").selectOption("tiny.en");
      await page.getByTestId("endpointing-min").fill("0.7");
      await page.getByTestId("endpointing-min").blur();
      await page.getByTestId("silence-messages").fill("Hello?\nAre you still there?");
      await page.getByTestId("silence-messages").blur();
      await page.getByTestId("tool-add-choice").selectOption("transfer_call");
      await page.getByTestId("tool-add").click();
      const destinations = page.locator(
        '[data-testid="tool"][data-type="transfer_call"] [data-testid="tool-destinations"]',
      );
      await destinations.fill("+31201234567 Sales");
      await destinations.blur();
      await page.getByTestId("analysis-instructions").fill("Name and reason of the caller.");
      await page.getByTestId("webhook-url").fill("https://hooks.example.com/voicedock");
      await page.getByTestId("webhook-url").blur();
      await page.getByTestId("webhook-secret").fill("s3cret-value-xyz");
      await page.getByTestId("webhook-event-end-of-call-report").click();
      await page.getByTestId("assistant-recording").click();
      await page.getByTestId("assistant-save-bottom").click();
      await page.getByTestId("assistant-dirty").waitFor({ state: "detached", timeout: 10_000 });
      const errors = page.getByTestId("assistant-form-error");
      if (await errors.count()) throw new Error(`save failed: ${await errors.textContent()}`);

      await page.reload();
      await page.getByTestId("assistant-name").waitFor();
      expect(await value(page, "assistant-prompt")).toBe("You answer for Bakkerij de Vries. Be brief.");
      expect(await value(page, "stt-model")).toBe("tiny.en");
      expect(await value(page, "tts-voice")).toBe("flite-rms");
      expect(await value(page, "llm-base-url")).toBe(llmUrl);
      expect(await value(page, "endpointing-min")).toBe("0.7");
      expect(await value(page, "silence-messages")).toBe("Hello?\nAre you still there?");
      expect(await value(page, "tool-destinations")).toBe("+31201234567 Sales");
      expect(await page.locator('[data-testid="tool"][data-type="end_call"]').count()).toBe(1);
      expect(await value(page, "analysis-instructions")).toBe("Name and reason of the caller.");
      expect(await value(page, "webhook-url")).toBe("https://hooks.example.com/voicedock");
      expect(await value(page, "webhook-secret")).toBe("");
      expect(await page.getByTestId("webhook-secret").getAttribute("placeholder")).toContain("Saved");
      expect(await page.getByTestId("assistant-recording").locator("input").isChecked()).toBe(true);
      expect(await page.content()).not.toContain("s3cret-value-xyz");

      const a = (await apiAssistants()).find((x) => x.id === frontDeskId)!;
      expect(a.webhook_secret).toBe("********");
      expect(a).toMatchObject({
        recording_enabled: true,
        webhook_url: "https://hooks.example.com/voicedock",
        webhook_events: ["end-of-call-report"],
        stt_config: { provider: "whisper", model: "tiny.en" },
        tts_config: { provider: "local", voice_id: "flite-rms" },
        speech_config: {
          turn_taking: { endpointing_min_delay: 0.7 },
          silence: { messages: ["Hello?", "Are you still there?"] },
        },
        analysis_plan: {
          structured_data_plan: { messages: [{ role: "system", content: "Name and reason of the caller." }] },
        },
      });
      expect(a.llm_config.tools).toEqual([
        { type: "end_call" },
        { type: "transfer_call", destinations: [{ number: "+31201234567", description: "Sales" }] },
      ]);
      expect(a.llm_config.messages[0]).toEqual({
        role: "system",
        content: "You answer for Bakkerij de Vries. Be brief.",
      });
      await page.screenshot({ path: join(ARTIFACTS, "console-assistant-editor.png"), fullPage: true });
      expect(await seriousViolations(page), "axe on the filled editor").toEqual([]);
    });

    it("adds a tool from a tool template and saves it", async () => {
      const created = await t.api("/api/v1/tool-templates", {
        method: "POST",
        json: {
          name: "check_opening_hours",
          tool_type: "function",
          tool_config: {
            description: "Look up whether the shop is open on a date",
            url: "https://hooks.example.com/hours",
            parameters: { type: "object", properties: { date: { type: "string" } }, required: ["date"] },
          },
        },
      });
      expect(created.status, await created.clone().text()).toBe(201);
      await page.reload();
      await page.getByTestId("tool-add-choice").waitFor();
      const { tool_template } = (await created.json()) as { tool_template: { id: string } };
      await page.getByTestId("tool-add-choice").selectOption(`template:${tool_template.id}`);
      await page.getByTestId("tool-add").click();
      const fn = page.locator('[data-testid="tool"][data-type="function"]');
      expect(await fn.getByTestId("tool-name").inputValue()).toBe("check_opening_hours");
      await page.getByTestId("assistant-save").click();
      await page.getByTestId("assistant-dirty").waitFor({ state: "detached", timeout: 10_000 });
      const a = (await apiAssistants()).find((x) => x.id === frontDeskId)!;
      expect(a.llm_config.tools).toContainEqual({
        type: "function",
        name: "check_opening_hours",
        description: "Look up whether the shop is open on a date",
        url: "https://hooks.example.com/hours",
        parameters: { type: "object", properties: { date: { type: "string" } }, required: ["date"] },
      });
    });

    it("duplicates and deletes from the list", async () => {
      await page.goto(`${t.url}/#/assistants`);
      await card(page, "Front desk").waitFor();
      await card(page, "Front desk").getByTestId("assistant-duplicate").click();
      const copy = card(page, "Front desk (copy)");
      await copy.waitFor({ timeout: 10_000 });
      const all = await apiAssistants();
      const original = all.find((x) => x.name === "Front desk")!;
      const dup = all.find((x) => x.name === "Front desk (copy)")!;
      expect(dup.id).not.toBe(original.id);
      for (const f of ["first_message", "llm_config", "stt_config", "tts_config", "speech_config", "analysis_plan"])
        expect(dup[f], f).toEqual(original[f]);
      // The secret is write-only: it cannot be read back, so the copy has none.
      expect(dup.webhook_secret ?? null).toBeNull();
      await page.screenshot({ path: join(ARTIFACTS, "console-assistants.png"), fullPage: true });
      expect(await seriousViolations(page), "axe on the list").toEqual([]);

      await copy.getByTestId("assistant-delete").click();
      const confirm = page.locator(".el-message-box");
      await confirm.waitFor();
      expect(await seriousViolations(page), "axe on the delete confirmation").toEqual([]);
      await confirm.getByRole("button", { name: "Delete" }).click();
      await copy.waitFor({ state: "detached", timeout: 10_000 });
      expect((await t.api(`/api/v1/assistants/${dup.id}`)).status).toBe(404);
      expect(await card(page, "Front desk").count()).toBe(1);
    });

    it("speaks Dutch: the page, its templates first, and a Dutch template's editor", async () => {
      await page.goto(`${t.url}/#/assistants`);
      await page.getByTestId("language").selectOption("nl");
      await expect.poll(() => page.locator("main h1").first().textContent()).toBe("Assistenten");
      await page.getByTestId("assistant-from-template").click();
      const first = page.locator('[data-testid="template"]').first();
      await first.waitFor();
      expect(await first.getAttribute("data-template-id")).toBe("receptionist-nl");
      await page.locator('[data-template-id="after-hours-nl"]').click();
      await page.waitForURL(/#\/assistants\/[0-9a-f-]{36}$/, { timeout: 15_000 });
      await page.getByTestId("assistant-name").waitFor();
      expect(await value(page, "assistant-name")).toBe("Berichten buiten openingstijden");
      expect(await value(page, "stt-language")).toBe("nl");
      expect(await page.getByTestId("assistant-check").textContent()).toContain("Engines controleren");
      await page.screenshot({ path: join(ARTIFACTS, "console-assistant-editor-nl.png"), fullPage: true });
      expect(await seriousViolations(page), "axe on the Dutch editor").toEqual([]);
      await page.getByTestId("language").selectOption("en");
    });

    it("fits a 360 px wide screen without sideways scrolling", async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const path of ["assistants", `assistants/${frontDeskId}`]) {
        await page.goto(`${t.url}/#/${path}`);
        await page.locator("main h1").first().waitFor();
        await page.waitForLoadState("networkidle");
        const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
        // On failure, name the widest elements that stick out, so the fix does not need a debugger.
        const culprits = await page.evaluate<string[]>(
          `[...document.querySelectorAll("main *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)` +
            `.slice(-5).map((e) => e.tagName + "." + e.className + " right=" + Math.round(e.getBoundingClientRect().right))`,
        );
        expect(overflow, `#/${path} scrolls sideways by ${overflow}px: ${culprits.join("; ")}`).toBeLessThanOrEqual(0);
        const name = path === "assistants" ? "assistants" : "assistant-editor";
        await page.screenshot({ path: join(ARTIFACTS, `console-${name}-360.png`), fullPage: true });
        expect(await seriousViolations(page), `axe on #/${path} at 360 px`).toEqual([]);
      }
    });

    it("follows the OS into dark mode, still readable", async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: "dark" });
      await page.goto(`${t.url}/#/assistants/${frontDeskId}`);
      await page.getByTestId("assistant-name").waitFor();
      await page.getByTestId("assistant-check").click();
      await page.getByTestId("check-results").waitFor({ timeout: 20_000 });
      await expect.poll(() => page.evaluate(`document.documentElement.classList.contains("dark")`)).toBe(true);
      await page.screenshot({ path: join(ARTIFACTS, "console-assistant-editor-dark.png"), fullPage: true });
      expect(await seriousViolations(page), "axe on the dark editor").toEqual([]);
      await page.emulateMedia({ colorScheme: "light" });
    });
  },
);
