import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";
import { hasKamailio, startKamailio, type Kamailio } from "../support/kamailio.js";
import { hasSipp, startSippUas, type Sipp } from "../helpers/sipp.js";
import { freeUdpPort } from "../support/ports.js";
import { startLlmServer, type LlmServer } from "../support/llm-server.js";
import { CATALOGUE, type ModelSpec } from "../../main/engine/models/index.js";
import { seriousViolations, settled } from "../support/axe.js";

// The new user's whole path, with no API call made by the test: only the browser, as a person would, from
// the one-time link `voicedock serve` prints to a test call whose recording plays. The engine, SQLite,
// kamailio (the provider's registrar and proxy), sipp (the user's phone) and Chromium are real; the
// language model is a local OpenAI-compatible server (a real user would point the wizard at Ollama).
const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");
/** The user's own phone: an account on the registrar, so calls to this number reach the sipp UAS. */
const MY_PHONE = "+31612345678";
const MY_PHONE_PASSWORD = "phonepass";
const OUR_NUMBER = "+31850835037";
const REPLY = "Thanks for calling, this is your test call.";

/**
 * No Whisper weights can be fetched here: the catalogue's `whisper-base.en` entry points at bytes a local
 * mirror serves (the shipped Silero file, with its published checksum), so the wizard's download is a real
 * transfer that is verified. The assistant then hears with PocketSphinx, so these bytes are never loaded.
 */
const MIRRORED = readFileSync(join(ROOT, "resources", "silero_vad.onnx"));
const MIRRORED_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3";
const CATALOGUE_E2E: ModelSpec[] = CATALOGUE.map((m) =>
  m.id === "whisper-base.en"
    ? {
        ...m,
        files: [
          {
            name: "ggml-base.en.bin",
            url: "https://example.invalid/ggml-base.en.bin",
            sizeBytes: MIRRORED.length,
            sha256: MIRRORED_SHA256,
          },
        ],
      }
    : m,
);

/**
 * A mirror paced so a download takes about five seconds and its bar can be seen moving: the wizard polls
 * once a second (RequiredModels.vue), so a two-second download showed it one value, now and then.
 */
function startMirror(files: Record<string, Buffer>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const body = files[decodeURIComponent((req.url ?? "").replace(/^\/mirror\//, ""))];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": body.length });
    let at = 0;
    const step = () => {
      if (res.destroyed) return;
      if (at >= body.length) return void res.end();
      const end = Math.min(body.length, at + 48 * 1024);
      res.write(body.subarray(at, end));
      at = end;
      setTimeout(step, 100);
    };
    step();
  });
  return new Promise((r) =>
    server.listen(0, "127.0.0.1", () =>
      r({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror` }),
    ),
  );
}

let mirror: { server: Server; url: string };
let t: TestEngine;
let k: Kamailio;
let llm: LlmServer;
let browser: Browser;
let page: Page;
let phonePort: number;
let phone: Sipp | null = null;

/** Presses Tab until the focused element is (or is inside) the one with this test id. */
async function tabTo(p: Page, testId: string, max = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    // Page-side code as strings: this file compiles without the DOM library.
    if (await p.evaluate(`!!document.activeElement?.closest('[data-testid="${testId}"]')`)) return;
    seen.push(
      await p.evaluate<string>(
        `(document.activeElement?.closest("[data-testid]")?.getAttribute("data-testid") ?? document.activeElement?.tagName) || "?"`,
      ),
    );
    await p.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached [data-testid="${testId}"]; focus went through: ${seen.join(", ")}`);
}

async function shot(name: string): Promise<void> {
  await settled(page);
  await page.screenshot({ path: join(ARTIFACTS, `first-run-${name}.png`), fullPage: true });
}

const text = async (testId: string) => (await page.getByTestId(testId).first().textContent())?.trim() ?? null;
const attr = (testId: string, name: string) => page.getByTestId(testId).first().getAttribute(name);

/**
 * Registers the user's phone with the registrar (a sipp UAC with digest auth), its Contact pointing at the
 * port where the phone (a sipp UAS) will answer: the provider then routes calls to MY_PHONE there.
 */
async function registerPhone(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sipp-register-"));
  const register = (cseq: number, auth: string) => `<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:${MY_PHONE}@[remote_ip]>;tag=[pid]reg[call_number]
To: <sip:${MY_PHONE}@[remote_ip]>
Call-ID: [call_id]
CSeq: ${cseq} REGISTER
Contact: <sip:${MY_PHONE}@127.0.0.1:${phonePort}>
Expires: 3600
Max-Forwards: 70
${auth}Content-Length: 0

]]></send>`;
  writeFileSync(
    join(dir, "register.xml"),
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register the phone">
  ${register(1, "")}
  <recv response="401" auth="true"/>
  ${register(2, "[authentication]\n")}
  <recv response="200"/>
</scenario>
`,
  );
  const proc = spawn(
    "sipp",
    [
      "-sf",
      join(dir, "register.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(await freeUdpPort()),
      "-au",
      MY_PHONE,
      "-ap",
      MY_PHONE_PASSWORD,
      "-m",
      "1",
      "-nostdin",
      "-timeout",
      "10s",
      `127.0.0.1:${k.port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => proc.on("exit", r));
  expect(code, `the phone's REGISTER failed:\n${out}\n${k.log().slice(-2000)}`).toBe(0);
}

describe.skipIf(!existsSync(CHROMIUM) || !hasKamailio || !hasSipp)(
  "first run in Chromium: one-time link → trunk → number → assistant → test call → recording (skipped only where chromium, kamailio or sipp is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      k = await startKamailio({ users: { [MY_PHONE]: MY_PHONE_PASSWORD } });
      // It lists the template's model, as Ollama does once `ollama pull llama3.2` has run.
      llm = await startLlmServer(() => ({ text: REPLY }), { models: ["llama3.2"] });
      mirror = await startMirror({ "ggml-base.en.bin": MIRRORED });
      t = await startTestEngine({
        consoleDir: CONSOLE_DIR,
        sipRetryBaseMs: 500,
        modelsBaseUrl: mirror.url,
        modelsCatalogue: CATALOGUE_E2E,
      });
      phonePort = await freeUdpPort();
      await registerPhone();
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
      page = await context.newPage();
      mkdirSync(ARTIFACTS, { recursive: true });
    });
    afterAll(async () => {
      phone?.proc.kill("SIGKILL");
      await browser?.close();
      await t?.stop();
      await llm?.close();
      mirror?.server.closeAllConnections();
      mirror?.server.close();
      await k?.stop();
    });

    it("opens the console with the one-time link and lands in the wizard; a skipped step is remembered", async () => {
      // What `voicedock serve` prints; the engine issues it the same way.
      await page.goto(t.engine.loginLink().url);
      await page.waitForURL(/#\/welcome$/, { timeout: 15_000 });
      await page.getByTestId("welcome-panel-trunk").waitFor();
      expect(await page.getByTestId("nav-welcome").count(), "the wizard is in the navigation").toBe(1);
      await shot("1-start");
      expect((await seriousViolations(page)).join("\n")).toBe("");

      // Skip the first step with the keyboard, leave, come back: the wizard resumes where it was.
      await page.locator("body").focus();
      await tabTo(page, "welcome-skip");
      await page.keyboard.press("Enter");
      await page.getByTestId("welcome-panel-number").waitFor();
      expect(await attr("welcome-step-trunk", "data-state")).toBe("skipped");
      await page.getByTestId("nav-calls").click();
      await page.waitForURL(/#\/calls$/);
      await page.getByTestId("nav-welcome").click();
      await page.getByTestId("welcome-panel-number").waitFor();
      expect(await attr("welcome-step-trunk", "data-state")).toBe("skipped");
      await page.reload();
      await page.getByTestId("welcome-panel-number").waitFor();
      await tabTo(page, "welcome-step-trunk");
      await page.keyboard.press("Enter");
      await page.getByTestId("welcome-panel-trunk").waitFor();
    });

    it("adds the trunk with the keyboard only and sees it registered", async () => {
      await tabTo(page, "welcome-trunk-add");
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
      await shot("2-trunk-form");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-form").waitFor({ state: "hidden" });

      await expect.poll(() => attr("welcome-trunk-result", "data-status"), { timeout: 20_000 }).toBe("registered");
      expect(await text("welcome-trunk-result")).toMatch(/Registered: your provider accepted/);
      expect(await attr("welcome-step-trunk", "data-state")).toBe("done");
      await shot("2-trunk-registered");
      expect((await seriousViolations(page)).join("\n")).toBe("");
    });

    it("types a wrong password and sees the registrar's refusal with its code and reason", async () => {
      await tabTo(page, "trunk-edit");
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-password").waitFor();
      await tabTo(page, "trunk-password");
      await page.keyboard.type("wrong-password");
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-form").waitFor({ state: "hidden" });
      await expect.poll(() => attr("welcome-trunk-result", "data-status"), { timeout: 20_000 }).toBe("failed");
      const said = await text("welcome-trunk-result");
      // kamailio answers a bad digest with a new challenge: 401 and its reason phrase.
      // The registrar's code, the engine's reason (with its SIP phrase), and what to do about it.
      expect(said).toMatch(/Registration failed: 40[13] — .*\(40[13] \w+\)/);
      expect(said).toMatch(/username or password/);
      await shot("2-trunk-failed");
      expect((await seriousViolations(page)).join("\n")).toBe("");

      // The right password again: registered again, and on to the next step.
      await tabTo(page, "trunk-edit");
      await page.keyboard.press("Enter");
      await tabTo(page, "trunk-password");
      await page.keyboard.type("secret");
      await page.keyboard.press("Enter");
      await page.getByTestId("trunk-form").waitFor({ state: "hidden" });
      await expect.poll(() => attr("welcome-trunk-result", "data-status"), { timeout: 20_000 }).toBe("registered");
      await tabTo(page, "welcome-next");
      await page.keyboard.press("Enter");
      await page.getByTestId("welcome-panel-number").waitFor();
    });

    it("adds the number on that trunk", async () => {
      await tabTo(page, "welcome-number-phone");
      await page.keyboard.type(OUR_NUMBER);
      await tabTo(page, "welcome-number-name");
      await page.keyboard.type("Front desk");
      // The trunk of step 1 is chosen already.
      expect(
        await page
          .getByTestId("welcome-number-trunk")
          .evaluate((s) => (s as unknown as { selectedOptions: { text: string }[] }).selectedOptions[0]?.text),
      ).toBe("Main line");
      await shot("3-number-form");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await tabTo(page, "welcome-number-save");
      await page.keyboard.press("Enter");
      const done = page.getByTestId("welcome-number-done");
      await done.waitFor();
      expect(await done.getAttribute("data-number")).toBe(OUR_NUMBER);
      expect(await done.textContent()).toContain("Main line");
      await shot("3-number-done");
      await tabTo(page, "welcome-next");
      await page.keyboard.press("Enter");
      await page.getByTestId("welcome-panel-assistant").waitFor();
    });

    it("creates an assistant from a template, sees the models it needs with sizes and free disk, and checks it", async () => {
      await page.getByTestId("welcome-template").first().waitFor();
      // The English receptionist: Space picks the focused radio, arrows move within the group.
      await tabTo(page, "welcome-template");
      const receptionist = page.locator('[data-template-id="receptionist-en"] input');
      for (let i = 0; i < 6 && !(await receptionist.isChecked()); i++) {
        await page.keyboard.press(i === 0 ? "Space" : "ArrowDown");
      }
      expect(await receptionist.isChecked()).toBe(true);
      expect(await page.getByTestId("welcome-assistant-name").inputValue()).toBe("Receptionist");

      // The template's recognizer needs a download: shown with its size, state and the free disk space.
      const model = page.locator('[data-testid="welcome-model"][data-model-id="whisper-base.en"]');
      await model.waitFor();
      expect(await model.getAttribute("data-state")).toBe("not_installed");
      expect(await model.getByTestId("welcome-model-size").textContent()).toBe("2.3 MB");
      expect(await model.getByTestId("model-download").count()).toBe(1);
      expect(await text("welcome-disk")).toMatch(
        /^To download: 2\.3 MB\. Free disk space: \d+(\.\d)? [KMGT]?B of \d+(\.\d)? [KMGT]?B\.$/,
      );
      await shot("4-assistant-template");
      expect((await seriousViolations(page)).join("\n")).toBe("");

      // Download it from the keyboard: the bar moves through values between 0 and 100 and ends verified. The
      // page itself records every value the bar shows (a test polling over the wire misses some on a busy machine).
      await model.evaluate((el) => {
        const w = globalThis as any;
        w.__progress = [];
        new w.MutationObserver(() => {
          const v = Number(el.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow") ?? 0);
          if (v > 0 && v < 100 && w.__progress.at(-1) !== v) w.__progress.push(v);
        }).observe(el, { subtree: true, childList: true, attributes: true });
      });
      await tabTo(page, "model-download");
      await page.keyboard.press("Enter");
      const states: string[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const state = (await model.getAttribute("data-state")) ?? "?";
        if (states.at(-1) !== state) {
          states.push(state);
          if (state === "downloading") await shot("4-assistant-downloading");
        }
        if (state === "verified") break;
        await page.waitForTimeout(50);
      }
      const seen: number[] = await page.evaluate(() => (globalThis as any).__progress);
      console.log(`download progress the bar showed (%): ${seen.join(", ")}`);
      expect(states.at(-1), `states seen: ${states.join(" → ")}`).toBe("verified");
      expect(new Set(seen).size, `progress values seen: ${seen.join(", ")}`).toBeGreaterThanOrEqual(2);
      expect(await text("welcome-disk")).toMatch(/^Everything it needs is on this machine\. Free disk space: /);

      // The downloaded bytes are not a Whisper model (see CATALOGUE_E2E): PocketSphinx hears this call.
      await tabTo(page, "welcome-recognizer");
      await page.getByTestId("welcome-recognizer-pocketsphinx").focus();
      await page.keyboard.press("Space");
      await page.getByTestId("welcome-models-none").waitFor();
      await tabTo(page, "welcome-assistant-llm-url");
      await page.keyboard.press("ControlOrMeta+a");
      // The double serves the OpenAI paths under /v1, as Ollama does: its URL already ends there.
      await page.keyboard.type(llm.url);
      await tabTo(page, "welcome-assistant-record");
      await page.keyboard.press("Space");
      expect(await page.getByTestId("welcome-assistant-record").locator("input").isChecked()).toBe(true);
      expect(await page.getByTestId("welcome-assistant-answer").locator("input").isChecked()).toBe(true);
      await tabTo(page, "welcome-assistant-save");
      await page.keyboard.press("Enter");

      const done = page.getByTestId("welcome-assistant-done");
      await done.waitFor();
      expect(await done.getAttribute("data-name")).toBe("Receptionist");
      expect(await text("welcome-assistant-answers")).toContain(OUR_NUMBER);
      await page.getByTestId("welcome-assistant-check").waitFor({ timeout: 15_000 });
      expect(await attr("welcome-check-stt", "data-ok"), (await text("welcome-check-stt")) ?? "").toBe("true");
      expect(await attr("welcome-check-tts", "data-ok"), (await text("welcome-check-tts")) ?? "").toBe("true");
      expect(await attr("welcome-check-llm", "data-ok"), (await text("welcome-check-llm")) ?? "").toBe("true");
      expect(await attr("welcome-assistant-check", "data-ok")).toBe("true");
      await shot("4-assistant-done");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await tabTo(page, "welcome-next");
      await page.keyboard.press("Enter");
      await page.getByTestId("welcome-panel-call").waitFor();
    });

    it("calls my phone: the call shows here, then in the calls list", async () => {
      // No echo: an echoed greeting is the caller talking over the assistant (barge-in), which cuts the greeting.
      phone = await startSippUas({ port: phonePort });
      await tabTo(page, "welcome-call-phone");
      await page.keyboard.type(MY_PHONE);
      await shot("5-call-form");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await page.keyboard.press("Enter");
      const call = page.getByTestId("welcome-call");
      await call.waitFor({ timeout: 15_000 });
      await expect
        .poll(() => call.getAttribute("data-status"), { timeout: 20_000, message: `sipp:\n${phone.output()}` })
        .toBe("in-progress");
      expect(await attr("welcome-step-call", "data-state")).toBe("done");
      await shot("5-call-live");
      expect((await seriousViolations(page)).join("\n")).toBe("");

      const href = await page.getByTestId("welcome-call-link").getAttribute("href");
      const callId = decodeURIComponent(/#\/calls\/(.+)$/.exec(href ?? "")?.[1] ?? "");
      expect(callId, `link: ${href}`).not.toBe("");
      await tabTo(page, "welcome-calls-link");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/calls$/);
      const row = page.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain(MY_PHONE);
      await shot("6-calls-list");
    });

    it("opens the call, hangs up after the greeting, and plays its recording", async () => {
      const row = page.getByTestId("call-row").first();
      await row.focus();
      await page.keyboard.press("Enter");
      await page.getByTestId("call-detail").waitFor();
      // The assistant's first message, spoken into the call and written into the transcript.
      await expect
        .poll(
          async () =>
            (await page.locator('[data-testid="transcript-line"], [data-testid="live-line"]').allTextContents()).join(
              " | ",
            ),
          {
            timeout: 20_000,
          },
        )
        .toContain("Hello, thank you");
      await tabTo(page, "hang-up");
      await page.keyboard.press("Enter");
      await expect.poll(() => page.getByTestId("call-status").textContent(), { timeout: 20_000 }).toMatch(/ended/);
      const audio = page.getByTestId("recording-audio");
      await audio.waitFor({ timeout: 20_000 });
      expect(await audio.getAttribute("src")).toMatch(/^blob:/);
      await expect
        .poll(() => audio.evaluate((a) => (a as unknown as { duration: number }).duration), { timeout: 10_000 })
        .toBeGreaterThan(1);
      // Play from the keyboard: the focused player's own control.
      await audio.focus();
      await page.keyboard.press("Space");
      const at = () => audio.evaluate((a) => (a as unknown as { currentTime: number }).currentTime);
      await expect.poll(at, { timeout: 10_000 }).toBeGreaterThan(0.3);
      await shot("7-recording");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      expect(await phone!.exited, phone!.output()).toBe(0);
    });

    it("speaks Dutch too, and is finished from its last step", async () => {
      await page.getByTestId("nav-welcome").click();
      await page.getByTestId("welcome-panel-call").waitFor();
      await page.getByTestId("language").selectOption("nl");
      await expect.poll(() => page.getByTestId("nav-welcome").textContent()).toContain("Aan de slag");
      expect(await page.locator("main h1").first().textContent()).toContain("Aan de slag");
      expect(await text("welcome-step-trunk")).toContain("klaar");
      await shot("8-dutch");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await page.getByTestId("language").selectOption("en");

      // A phone-sized screen: no sideways scrolling; and the OS's dark mode, still readable.
      await page.setViewportSize({ width: 360, height: 740 });
      await page.getByTestId("welcome-panel-call").waitFor();
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow, "#/welcome scrolls sideways at 360 px").toBeLessThanOrEqual(0);
      await shot("9-360");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: "dark" });
      await expect.poll(() => page.evaluate(`document.documentElement.classList.contains("dark")`)).toBe(true);
      await shot("9-dark");
      expect((await seriousViolations(page)).join("\n")).toBe("");
      await page.emulateMedia({ colorScheme: "light" });

      await tabTo(page, "welcome-finish");
      await page.keyboard.press("Enter");
      await page.waitForURL(/#\/calls$/);
    });
  },
);
