import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../support/chromium.js";
import AxeBuilder from "@axe-core/playwright";
import { CATALOGUE, type ModelSpec } from "../../main/engine/models/index.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { ROOT } from "../helpers/cli.js";

// The console's admin pages (Models, Keys and providers, Webhooks, Usage) in Debian's Chromium against a
// real engine. Model files come from a local mirror, webhooks go to a local receiver: nothing leaves
// 127.0.0.1.

const CONSOLE_DIR = join(ROOT, "out", "renderer");
const ARTIFACTS = join(ROOT, "test-artifacts");

/** The shipped Silero VAD with its published checksum: real bytes to download and verify. */
const VAD = readFileSync(join(ROOT, "resources", "silero_vad.onnx"));
const VAD_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3";

const entry = (id: string, file: string, name: string): ModelSpec => ({
  id,
  kind: "vad",
  name,
  description: "Silero VAD bytes served by the test mirror",
  license: "MIT",
  licenseUrl: null,
  files: [{ name: file, url: `https://example.invalid/${file}`, sizeBytes: VAD.length, sha256: VAD_SHA256 }],
});
const CATALOGUE_E2E = [
  ...CATALOGUE,
  entry("test-good", "good.onnx", "Mirror test model"),
  entry("test-corrupt", "corrupt.onnx", "Corrupted test model"),
  entry("test-pause", "pause.onnx", "Paused test model"),
];

/** A flat mirror with Range support, paced so a download takes a few seconds and its bar can be seen moving. */
function startMirror(
  files: Record<string, Buffer>,
): Promise<{ server: Server; url: string; ranges: (string | null)[] }> {
  const ranges: (string | null)[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    ranges.push(req.headers.range ?? null);
    const body = files[decodeURIComponent((req.url ?? "").replace(/^\/mirror\//, ""))];
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, {
      "content-length": body.length - start,
      "accept-ranges": "bytes",
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    let at = start;
    const step = () => {
      if (res.destroyed) return;
      if (at >= body.length) return void res.end();
      const end = Math.min(body.length, at + 48 * 1024);
      res.write(body.subarray(at, end));
      at = end;
      setTimeout(step, 40);
    };
    step();
  });
  return new Promise((r) =>
    server.listen(0, "127.0.0.1", () =>
      r({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`, ranges }),
    ),
  );
}

/** A customer's webhook endpoint that answers 200. */
function startReceiver(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => (raw += d));
    req.on("end", () => {
      hits.push(raw);
      res.writeHead(200, { "content-type": "application/json" }).end('{"received":true}');
    });
  });
  return new Promise((r) =>
    server.listen(0, "127.0.0.1", () =>
      r({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, hits }),
    ),
  );
}

/** 14 days of calls ending today (local time, as the page counts days), with reply delays on answered ones. */
function seedCalls(t: TestEngine): number {
  const now = new Date();
  let n = 0;
  for (let d = 0; d < 14; d++) {
    const perDay = (d % 4) + 1;
    for (let k = 0; k < perDay; k++) {
      // Today's calls stay in the small hours so none lies in the future.
      const hour = d === 0 ? 0 : 8 + ((d * 3 + k * 2) % 10);
      const at = new Date(now.getFullYear(), now.getMonth(), now.getDate() - d, hour, 5 + k);
      if (at > now) continue;
      const id = `call-e2e-usage-${d}-${k}`;
      const failed = k === 2;
      const created = at.toISOString();
      t.store.calls.create({
        id,
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612345670",
        created_at: created,
      });
      t.store.calls.update(id, {
        status: failed ? "failed" : "ended",
        started_at: failed ? null : created,
        ended_at: created,
        duration_seconds: failed ? 0 : 20 + ((d * 37 + k * 53) % 400),
        error: failed ? "SIP trunk answered 503" : null,
        metrics: failed ? null : { turns: [{ voice_to_voice_ms: 650 + d * 20 }, { voice_to_voice_ms: 980 + d * 15 }] },
      });
      n++;
    }
  }
  return n;
}

let t: TestEngine;
let browser: Browser;
let page: Page;
let mirror: { server: Server; url: string; ranges: (string | null)[] };
let receiver: { server: Server; url: string; hits: string[] };
let seeded = 0;

async function noSeriousViolations(name: string) {
  const results = await new AxeBuilder({ page }).analyze();
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

describe.skipIf(!existsSync(CHROMIUM))(
  "console admin pages in Chromium (skipped only where chromium is not installed)",
  () => {
    beforeAll(async () => {
      expect(existsSync(join(CONSOLE_DIR, "index.html")), "run `npm run build:app` first (npm test does)").toBe(true);
      const corrupt = Buffer.from(VAD);
      corrupt[corrupt.length >> 1] ^= 0xff;
      mirror = await startMirror({ "good.onnx": VAD, "corrupt.onnx": corrupt, "pause.onnx": VAD });
      receiver = await startReceiver();
      t = await startTestEngine({
        consoleDir: CONSOLE_DIR,
        sipPort: null,
        modelsBaseUrl: mirror.url,
        modelsCatalogue: CATALOGUE_E2E,
      });
      seeded = seedCalls(t);
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
      // Signed in as the console stores it; the key page itself is covered by console.test.ts. The script runs
      // in the browser, where `localStorage` exists (this file is type-checked without the DOM library).
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
      await browser?.close();
      await t?.stop();
      mirror?.server.closeAllConnections();
      mirror?.server.close();
      receiver?.server.close();
    });

    it("models: a download's bar moves and ends verified; a corrupted file ends in a checksum mismatch", async () => {
      await page.goto(`${t.url}/#/models`);
      await page.getByTestId("model-storage").waitFor();
      const good = page.getByTestId("model-status-test-good");
      await expect.poll(() => good.getAttribute("data-state"), { timeout: 15_000 }).toBe("not_installed");
      await page.locator('[data-model-id="test-good"]').waitFor();
      await page
        .locator("tr", { has: page.locator('[data-model-id="test-good"]') })
        .getByTestId("model-download")
        .click();

      // Sample the bar while it runs: it must pass through values strictly between 0 and 100.
      const seen = new Set<number>();
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const state = await good.getAttribute("data-state");
        const bar = good.locator('[role="progressbar"]');
        if (state === "downloading" && (await bar.count())) {
          const v = Number(await bar.getAttribute("aria-valuenow"));
          if (v > 0 && v < 100) seen.add(v);
        }
        if (state === "verified") break;
        await page.waitForTimeout(50);
      }
      expect(seen.size, `progress values seen: ${[...seen].join(", ")}`).toBeGreaterThanOrEqual(2);
      await expect.poll(() => good.getByTestId("model-state").textContent(), { timeout: 10_000 }).toBe("Verified");

      const bad = page.getByTestId("model-status-test-corrupt");
      await page
        .locator("tr", { has: page.locator('[data-model-id="test-corrupt"]') })
        .getByTestId("model-download")
        .click();
      await expect
        .poll(() => bad.getByTestId("model-state").textContent(), { timeout: 20_000 })
        .toBe("Checksum mismatch");
      expect(await bad.textContent()).toContain("sha256");

      await page.screenshot({ path: join(ARTIFACTS, "console-models.png"), fullPage: true });
      await noSeriousViolations("models");
    });

    it("models: pause keeps the partial download and resume continues it with an HTTP Range request", async () => {
      await page.goto(`${t.url}/#/models`);
      const row = page.locator("tr", { has: page.locator('[data-model-id="test-pause"]') });
      const status = page.getByTestId("model-status-test-pause");
      await row.getByTestId("model-download").click();
      await expect
        .poll(async () => Number(await status.locator('[role="progressbar"]').getAttribute("aria-valuenow")), {
          timeout: 15_000,
          interval: 50,
        })
        .toBeGreaterThan(0);
      await row.getByTestId("model-pause").click();
      await expect.poll(() => status.getAttribute("data-state"), { timeout: 15_000 }).toBe("paused");
      const partial = Number(await status.locator('[role="progressbar"]').getAttribute("aria-valuenow"));
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThan(100);

      const before = mirror.ranges.length;
      await row.getByTestId("model-resume").click();
      await expect.poll(() => status.getAttribute("data-state"), { timeout: 20_000 }).toBe("verified");
      expect(mirror.ranges.slice(before)[0]).toMatch(/^bytes=[1-9]\d*-$/);
    });

    it("keys: a new API key is shown once, then only masked, and can be revoked", async () => {
      await page.goto(`${t.url}/#/keys`);
      await page.getByTestId("key-row").first().waitFor();
      await page.getByTestId("key-name").fill("E2E integration");
      await page.getByTestId("key-create").click();
      const shown = (await page.getByTestId("new-key").textContent())!.trim();
      expect(shown).toMatch(/^vd_live_[A-Za-z0-9]{20,}$/);
      expect((await t.api("/api/v1/organizations", { auth: shown })).status).toBe(200);
      await page.getByTestId("key-dialog-done").click();
      await page.getByTestId("new-key").waitFor({ state: "hidden" });

      const row = page.locator("tr", { has: page.getByText("E2E integration", { exact: true }) });
      await expect
        .poll(() => row.getByTestId("key-masked").textContent(), { timeout: 15_000 })
        .toContain(shown.slice(0, 12));
      expect(await page.locator("body").innerText()).not.toContain(shown);

      await page.screenshot({ path: join(ARTIFACTS, "console-keys.png"), fullPage: true });
      await noSeriousViolations("keys");

      await row.getByTestId("key-revoke").click();
      await page.locator(".el-popconfirm").getByRole("button", { name: "Revoke" }).click();
      await row.getByTestId("key-revoked").waitFor();
      expect((await t.api("/api/v1/organizations", { auth: shown })).status).toBe(401);
    });

    it("webhooks: a test event from the page is delivered and its attempt shows; the log filters", async () => {
      const created = await t.api("/api/v1/assistants", {
        method: "POST",
        json: { name: "Front desk", webhook_url: receiver.url, webhook_secret: "whsec_e2e" },
      });
      expect(created.status).toBe(201);
      await page.goto(`${t.url}/#/webhooks`);
      await page.getByTestId("webhook-send-test").click();
      await expect.poll(() => page.getByTestId("delivery-status").textContent(), { timeout: 15_000 }).toBe("Delivered");
      await expect
        .poll(() => page.getByTestId("delivery-attempt").first().textContent(), { timeout: 15_000 })
        .toContain("HTTP 200");
      expect(receiver.hits).toHaveLength(1);
      // The receiver's own answer is kept with the attempt.
      expect(await page.getByTestId("delivery-response").first().textContent()).toBe('{"received":true}');
      expect(await page.getByTestId("delivery-body").textContent()).toContain('"type": "test"');
      expect(await page.locator("body").innerText()).not.toContain("whsec_e2e");
      await page.screenshot({ path: join(ARTIFACTS, "console-webhooks-detail.png"), fullPage: true });
      await page.keyboard.press("Escape");
      await page.getByTestId("delivery-detail").waitFor({ state: "detached" });
      await page.locator(".el-drawer").waitFor({ state: "hidden" });
      await expect.poll(() => page.getByTestId("delivery-row").count(), { timeout: 15_000 }).toBe(1);

      // The filters go to the API: a status or an event the test delivery does not have empties the log.
      const pick = async (filter: string, option: string) => {
        await page.getByTestId(filter).click();
        await page.getByRole("option", { name: option, exact: true }).click();
      };
      await pick("filter-status", "Failed");
      await expect.poll(() => page.getByTestId("delivery-row").count(), { timeout: 15_000 }).toBe(0);
      await pick("filter-status", "Delivered");
      await expect.poll(() => page.getByTestId("delivery-row").count(), { timeout: 15_000 }).toBe(1);
      await pick("filter-event", "status-update");
      await expect.poll(() => page.getByTestId("delivery-row").count(), { timeout: 15_000 }).toBe(0);
      await pick("filter-event", "test");
      await expect.poll(() => page.getByTestId("delivery-row").count(), { timeout: 15_000 }).toBe(1);
      await page.keyboard.press("Escape");

      await page.screenshot({ path: join(ARTIFACTS, "console-webhooks.png"), fullPage: true });
      await noSeriousViolations("webhooks");
    });

    it("usage: 14 days of seeded calls give 14 points per day series and a heatmap that sums to them", async () => {
      await page.goto(`${t.url}/#/usage`);
      const perDay = page.getByTestId("chart-per-day");
      await expect
        .poll(() => page.getByTestId("usage-totals").getAttribute("data-calls"), { timeout: 15_000 })
        .toBe(String(seeded));
      expect(await perDay.getAttribute("data-points")).toBe("14");
      expect(await page.getByTestId("chart-latency").getAttribute("data-points")).toBe("14");
      expect(await page.getByTestId("chart-hours").getAttribute("data-total")).toBe(String(seeded));
      expect(await page.getByTestId("chart-hours").getAttribute("data-cells")).toBe("168");
      for (const id of ["chart-per-day", "chart-hours", "chart-duration", "chart-latency"])
        await page.getByTestId(id).locator("canvas").first().waitFor();

      await page.screenshot({ path: join(ARTIFACTS, "console-usage.png"), fullPage: true });
      await noSeriousViolations("usage");
    });

    it("every admin page fits a 360 px phone without a page-wide horizontal scroll", async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const p of ["models", "keys", "webhooks", "usage"]) {
        await page.goto(`${t.url}/#/${p}`);
        await page.locator(".admin-page h1").waitFor();
        await page.waitForTimeout(500);
        // Wide tables scroll inside their own box; the page itself must not.
        const overflow = await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow, `${p} at 360 px`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(ARTIFACTS, `console-${p}-360.png`), fullPage: true });
      }
    });

    it("the admin pages pass axe in dark mode too (the console follows the OS)", async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: "dark" });
      for (const p of ["models", "keys", "webhooks", "usage"]) {
        await page.goto(`${t.url}/#/${p}`);
        await page.locator(".admin-page h1").waitFor();
        await page.waitForTimeout(500);
        expect(await page.locator("html").getAttribute("class")).toContain("dark");
        await noSeriousViolations(`${p} (dark)`);
      }
      await page.screenshot({ path: join(ARTIFACTS, "console-usage-dark.png"), fullPage: true });
      await page.emulateMedia({ colorScheme: "light" });
    });
  },
);
