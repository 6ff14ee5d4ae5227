import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { CATALOGUE, type ModelSpec } from "../../main/engine/models/index.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { waitFor } from "../helpers/wait.js";

// No internet here: every download comes from a local mirror (node:http on 127.0.0.1) that serves real
// model files, honours Range and can pace, cut or corrupt a transfer. The engine reaches it through the
// `modelsBaseUrl` override, exactly as an office mirror would be configured.

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The shipped Silero VAD, whose checksum SOURCES.md publishes: real bytes with a known reference hash. */
const VAD = readFileSync(fileURLToPath(new URL("../../resources/silero_vad.onnx", import.meta.url)));
const VAD_SHA256 = "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3";
/** whisper.cpp's weightless tiny.en test fixture: a real ggml file, but not the published tiny.en model. */
const TINY_FIXTURE = "/work/shared/models/for-tests-ggml-tiny.en.bin";

const vadEntry = (id: string, file: string): ModelSpec => ({
  id,
  kind: "vad",
  name: `Test ${id}`,
  description: "Silero VAD bytes under another name",
  license: "MIT",
  licenseUrl: null,
  files: [{ name: file, url: `https://example.invalid/${file}`, sizeBytes: VAD.length, sha256: VAD_SHA256 }],
});

const VOICE_CONFIG = Buffer.from(JSON.stringify({ audio: { sample_rate: 16000 }, espeak: { voice: "en-us" } }));
const TEST_CATALOGUE: ModelSpec[] = [
  ...CATALOGUE,
  vadEntry("test-progress", "progress.onnx"),
  vadEntry("test-resume", "resume.onnx"),
  vadEntry("test-cancel", "cancel.onnx"),
  vadEntry("test-busy", "busy.onnx"),
  {
    id: "test-voice",
    kind: "tts",
    name: "Test voice",
    description: "a model file plus a config without a published checksum",
    license: "MIT",
    licenseUrl: null,
    files: [
      { name: "voice.onnx", url: "https://example.invalid/voice.onnx", sizeBytes: VAD.length, sha256: VAD_SHA256 },
      { name: "voice.onnx.json", url: "https://example.invalid/voice.onnx.json", sizeBytes: null, sha256: null },
    ],
  },
];

interface Behaviour {
  body?: Buffer;
  /** Pacing: bytes per write and the pause between writes. */
  chunkBytes?: number;
  intervalMs?: number;
  /** Cut the connection after this many body bytes, on the first request only. */
  dropAfterBytes?: number;
}

interface MirrorRequest {
  file: string;
  range: string | null;
  status: number;
  sentBytes: number;
}

class Mirror {
  readonly requests: MirrorRequest[] = [];
  private readonly behaviour = new Map<string, Behaviour>();
  private server!: Server;
  url = "";

  set(file: string, b: Behaviour): void {
    this.behaviour.set(file, b);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mirror`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  requestsFor(file: string): MirrorRequest[] {
    return this.requests.filter((r) => r.file === file);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = decodeURIComponent((req.url ?? "").replace(/^\/mirror\//, ""));
    const b = this.behaviour.get(file);
    const log: MirrorRequest = { file, range: req.headers.range ?? null, status: 0, sentBytes: 0 };
    this.requests.push(log);
    if (!b?.body) {
      log.status = 404;
      res.writeHead(404).end("not here");
      return;
    }
    const body = b.body;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        log.status = 416;
        res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
        return;
      }
      log.status = 206;
      res.writeHead(206, {
        "content-length": body.length - start,
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
        "accept-ranges": "bytes",
      });
    } else {
      log.status = 200;
      res.writeHead(200, { "content-length": body.length, "accept-ranges": "bytes" });
    }
    const drop = this.requestsFor(file).length === 1 ? b.dropAfterBytes : undefined;
    const chunk = b.chunkBytes ?? 256 * 1024;
    for (let at = start; at < body.length && !res.destroyed;) {
      const end = Math.min(body.length, at + chunk, drop !== undefined ? start + drop : Infinity);
      await new Promise<void>((r) => res.write(body.subarray(at, end), () => r()));
      log.sentBytes += end - at;
      at = end;
      if (drop !== undefined && log.sentBytes >= drop) {
        res.socket?.destroy();
        return;
      }
      if (b.intervalMs) await new Promise((r) => setTimeout(r, b.intervalMs));
    }
    res.end();
  }
}

let t: TestEngine;
let mirror: Mirror;
let ws: WebSocket;
const events: any[] = [];

beforeAll(async () => {
  mirror = new Mirror();
  await mirror.start();
  t = await startTestEngine({ sipPort: null, modelsBaseUrl: mirror.url, modelsCatalogue: TEST_CATALOGUE });
  ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${t.apiKey}` },
  });
  ws.on("message", (m) => events.push(JSON.parse(String(m))));
  await new Promise((r) => ws.once("open", r));
});

afterAll(async () => {
  ws?.close();
  await t?.stop();
  await mirror?.stop();
});

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as any };
}
const modelsDir = () => join(t.dataDir, "models");
const downloadEvents = (id: string) => events.filter((e) => e.type === "model.download" && e.model_id === id);
const finalEvent = (id: string) =>
  waitFor(() => downloadEvents(id).find((e) => ["installed", "failed", "cancelled"].includes(e.state)), 20_000);

describe("catalogue", () => {
  it("lists the real models with the sizes and checksums of SOURCES.md, and null where none is published", async () => {
    const { status, body } = await json(await t.api("/api/v1/models"));
    expect(status).toBe(200);
    const byId = Object.fromEntries(body.models.map((m: any) => [m.id, m]));
    expect(byId["whisper-tiny.en"]).toMatchObject({
      kind: "stt",
      size_bytes: 77704715,
      sha256: "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
      urls: ["https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-tiny.en.bin"],
      installed: false,
      path: null,
      download: null,
    });
    expect(byId["whisper-base.en"]).toMatchObject({ kind: "stt", sha256: null, size_bytes: null, installed: false });
    expect(byId["whisper-small"]).toMatchObject({ kind: "stt", sha256: null, installed: false });
    // No Piper engine exists in this version: its voices are not offered for download (issue #13 §14).
    expect(Object.keys(byId).filter((id) => id.startsWith("piper-"))).toEqual([]);
    // The VAD ships with the app: installed from the first start, pointing at the shipped file.
    expect(byId["silero-vad"]).toMatchObject({
      kind: "vad",
      builtin: true,
      installed: true,
      sha256: VAD_SHA256,
      size_bytes: VAD.length,
    });
    expect(sha256(readFileSync(byId["silero-vad"].path))).toBe(VAD_SHA256);
    for (const m of body.models) expect(m.license).toBeTruthy();
  });

  it("GET /models/{id} returns one model; unknown ids are 404 on every route, in the flat error shape", async () => {
    const one = await json(await t.api("/api/v1/models/whisper-tiny.en"));
    expect(one.status).toBe(200);
    expect(one.body.model.id).toBe("whisper-tiny.en");
    for (const [method, path] of [
      ["GET", "/api/v1/models/nope"],
      ["POST", "/api/v1/models/nope/download"],
      ["DELETE", "/api/v1/models/nope/download"],
      ["DELETE", "/api/v1/models/nope"],
    ] as const) {
      const r = await json(await t.api(path, { method }));
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toMatchObject({ error: "Not Found", code: "not_found" });
      expect(r.body.message).toMatch(/'nope' does not exist/);
    }
  });

  it("needs the API key", async () => {
    expect((await t.api("/api/v1/models", { auth: false })).status).toBe(401);
    expect((await t.api("/api/v1/models/test-progress/download", { method: "POST", auth: false })).status).toBe(401);
    expect(mirror.requestsFor("progress.onnx")).toHaveLength(0);
  });

  it("the built-in VAD can be neither downloaded nor removed (409)", async () => {
    for (const [method, path] of [
      ["POST", "/api/v1/models/silero-vad/download"],
      ["DELETE", "/api/v1/models/silero-vad"],
    ] as const) {
      const r = await json(await t.api(path, { method }));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ error: "Conflict", code: "model_builtin" });
    }
  });

  it("is listed in the OpenAPI document", async () => {
    const doc = await json(await t.api("/api/openapi.json", { auth: false }));
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/models", "/api/v1/models/{id}", "/api/v1/models/{id}/download"]),
    );
  });
});

describe("downloads", () => {
  it("streams into the models dir with progress over the WebSocket at most ~4 times a second, then installs the verified file", async () => {
    mirror.set("progress.onnx", { body: VAD, chunkBytes: 32 * 1024, intervalMs: 15 });
    const started = Date.now();
    const res = await json(await t.api("/api/v1/models/test-progress/download", { method: "POST" }));
    expect(res.status).toBe(202);
    expect(res.body.model).toMatchObject({ id: "test-progress", installed: false });
    expect(res.body.model.download).toMatchObject({ state: "downloading", total_bytes: VAD.length, error: null });

    const last = await finalEvent("test-progress");
    const elapsedMs = Date.now() - started;
    expect(last).toMatchObject({
      state: "installed",
      received_bytes: VAD.length,
      total_bytes: VAD.length,
      error: null,
    });
    expect(elapsedMs).toBeGreaterThan(800);

    const seen = downloadEvents("test-progress");
    expect(seen.map((e) => e.state).filter((s, i, a) => s !== a[i - 1])).toEqual([
      "downloading",
      "verifying",
      "installed",
    ]);
    const progress = seen.filter((e) => e.state === "downloading");
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 250) + 1);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i].received_bytes).toBeGreaterThan(progress[i - 1].received_bytes);
      expect(Date.parse(progress[i].at) - Date.parse(progress[i - 1].at)).toBeGreaterThanOrEqual(245);
    }

    const model = (await json(await t.api("/api/v1/models/test-progress"))).body.model;
    expect(model).toMatchObject({ installed: true, path: join(modelsDir(), "progress.onnx"), partial_bytes: 0 });
    expect(model.download).toMatchObject({
      state: "installed",
      received_bytes: VAD.length,
      sha256: { "progress.onnx": VAD_SHA256 },
    });
    expect(sha256(readFileSync(model.path))).toBe(VAD_SHA256);
    expect(readdirSync(modelsDir()).filter((f) => f.endsWith(".part"))).toEqual([]);
    expect(mirror.requestsFor("progress.onnx")).toHaveLength(1);

    const again = await json(await t.api("/api/v1/models/test-progress/download", { method: "POST" }));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("model_installed");
  });

  it("DELETE /models/{id} removes an installed model; a second delete is 409", async () => {
    const path = join(modelsDir(), "progress.onnx");
    expect(existsSync(path)).toBe(true);
    const del = await json(await t.api("/api/v1/models/test-progress", { method: "DELETE" }));
    expect(del).toEqual({ status: 200, body: { success: true } });
    expect(existsSync(path)).toBe(false);
    const model = (await json(await t.api("/api/v1/models/test-progress"))).body.model;
    expect(model).toMatchObject({ installed: false, path: null, download: null });
    const again = await json(await t.api("/api/v1/models/test-progress", { method: "DELETE" }));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("not_installed");
  });

  it("resumes with a Range request when the server drops the connection mid-file, without starting over", async () => {
    mirror.set("resume.onnx", { body: VAD, chunkBytes: 64 * 1024, dropAfterBytes: 1_000_000 });
    expect((await t.api("/api/v1/models/test-resume/download", { method: "POST" })).status).toBe(202);
    const last = await finalEvent("test-resume");
    expect(last).toMatchObject({ state: "installed", received_bytes: VAD.length, error: null });

    const reqs = mirror.requestsFor("resume.onnx");
    expect(reqs).toHaveLength(2);
    expect(reqs[0]).toMatchObject({ range: null, status: 200, sentBytes: 1_000_000 });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(reqs[1].range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(reqs[1]).toMatchObject({ status: 206, sentBytes: VAD.length - resumedAt });
    expect(sha256(readFileSync(join(modelsDir(), "resume.onnx")))).toBe(VAD_SHA256);
  });

  it("cancel stops a running download and keeps the partial file; downloading again continues from it", async () => {
    mirror.set("cancel.onnx", { body: VAD, chunkBytes: 16 * 1024, intervalMs: 20 });
    expect((await t.api("/api/v1/models/test-cancel/download", { method: "POST" })).status).toBe(202);
    await waitFor(() => downloadEvents("test-cancel").find((e) => e.received_bytes >= 200_000));

    const busy = await json(await t.api("/api/v1/models/test-cancel/download", { method: "POST" }));
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe("model_downloading");
    const delBusy = await json(await t.api("/api/v1/models/test-cancel", { method: "DELETE" }));
    expect(delBusy.status).toBe(409);
    expect(delBusy.body.message).toMatch(/cancel it first/);

    const cancelled = await json(await t.api("/api/v1/models/test-cancel/download", { method: "DELETE" }));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.model).toMatchObject({ installed: false, path: null });
    expect(cancelled.body.model.download.state).toBe("cancelled");
    const partial = cancelled.body.model.partial_bytes;
    expect(partial).toBeGreaterThanOrEqual(200_000);
    expect(partial).toBeLessThan(VAD.length);
    expect(await finalEvent("test-cancel")).toMatchObject({ state: "cancelled", error: null });
    expect(existsSync(join(modelsDir(), "cancel.onnx"))).toBe(false);
    // Nothing arrives after a cancel: the transfer really stopped.
    const sentAtCancel = mirror.requestsFor("cancel.onnx")[0].sentBytes;
    await new Promise((r) => setTimeout(r, 300));
    expect(mirror.requestsFor("cancel.onnx")[0].sentBytes - sentAtCancel).toBeLessThanOrEqual(2 * 16 * 1024);
    expect((await json(await t.api("/api/v1/models/test-cancel/download", { method: "DELETE" }))).body.code).toBe(
      "no_download",
    );

    mirror.set("cancel.onnx", { body: VAD });
    events.length = 0;
    expect((await t.api("/api/v1/models/test-cancel/download", { method: "POST" })).status).toBe(202);
    expect(await finalEvent("test-cancel")).toMatchObject({ state: "installed", received_bytes: VAD.length });
    const second = mirror.requestsFor("cancel.onnx")[1];
    expect(second).toMatchObject({ range: `bytes=${partial}-`, status: 206, sentBytes: VAD.length - partial });
    expect(sha256(readFileSync(join(modelsDir(), "cancel.onnx")))).toBe(VAD_SHA256);
  });

  it("rejects and deletes a file whose sha256 is not the published one, naming both hashes", async () => {
    // A mirror that serves whisper.cpp's weightless test fixture under the real tiny.en name.
    const fixture = readFileSync(TINY_FIXTURE);
    mirror.set("ggml-tiny.en.bin", { body: fixture });
    expect((await t.api("/api/v1/models/whisper-tiny.en/download", { method: "POST" })).status).toBe(202);
    const last = await finalEvent("whisper-tiny.en");
    expect(last.state).toBe("failed");
    expect(last.error).toContain("expected sha256 921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f");
    expect(last.error).toContain(`got ${sha256(fixture)}`);

    const model = (await json(await t.api("/api/v1/models/whisper-tiny.en"))).body.model;
    expect(model).toMatchObject({ installed: false, path: null, partial_bytes: 0 });
    expect(model.download).toMatchObject({ state: "failed", error: last.error });
    expect(readdirSync(modelsDir()).filter((f) => f.startsWith("ggml-tiny.en"))).toEqual([]);
  });

  it("a server error ends in `failed` with the status, and nothing is installed", async () => {
    // The mirror has no ggml-base.en.bin: it answers 404.
    expect((await t.api("/api/v1/models/whisper-base.en/download", { method: "POST" })).status).toBe(202);
    const last = await finalEvent("whisper-base.en");
    expect(last.state).toBe("failed");
    expect(last.error).toMatch(/Whisper base\.en failed: the server answered 404/);
    expect((await json(await t.api("/api/v1/models/whisper-base.en"))).body.model.installed).toBe(false);
  });

  it("installs every file of a multi-file model; files without a published checksum report the one computed", async () => {
    mirror.set("voice.onnx", { body: VAD });
    mirror.set("voice.onnx.json", { body: VOICE_CONFIG });
    expect((await t.api("/api/v1/models/test-voice/download", { method: "POST" })).status).toBe(202);
    expect(await finalEvent("test-voice")).toMatchObject({
      state: "installed",
      received_bytes: VAD.length + VOICE_CONFIG.length,
    });
    const model = (await json(await t.api("/api/v1/models/test-voice"))).body.model;
    expect(model).toMatchObject({ installed: true, path: join(modelsDir(), "voice.onnx") });
    expect(model.download.sha256).toEqual({ "voice.onnx": VAD_SHA256, "voice.onnx.json": sha256(VOICE_CONFIG) });
    expect(readFileSync(join(modelsDir(), "voice.onnx.json"))).toEqual(VOICE_CONFIG);
  });
});

describe("across restarts", () => {
  it("an installed model stays installed, and a download cut by shutdown resumes from its partial file", async () => {
    const dataDir = t.dataDir;
    mirror.set("busy.onnx", { body: VAD, chunkBytes: 16 * 1024, intervalMs: 20 });
    expect((await t.api("/api/v1/models/test-busy/download", { method: "POST" })).status).toBe(202);
    await waitFor(() => downloadEvents("test-busy").find((e) => e.received_bytes >= 100_000));
    ws.close();
    await t.stop({ keepData: true });

    t = await startTestEngine({ sipPort: null, dataDir, modelsBaseUrl: mirror.url, modelsCatalogue: TEST_CATALOGUE });
    try {
      const list = (await json(await t.api("/api/v1/models"))).body.models;
      const byId = Object.fromEntries(list.map((m: any) => [m.id, m]));
      expect(byId["test-resume"]).toMatchObject({ installed: true, download: null });
      expect(byId["test-busy"].installed).toBe(false);
      const partial = byId["test-busy"].partial_bytes;
      expect(partial).toBeGreaterThanOrEqual(100_000);

      mirror.set("busy.onnx", { body: VAD });
      expect((await t.api("/api/v1/models/test-busy/download", { method: "POST" })).status).toBe(202);
      let model: any;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        model = (await json(await t.api("/api/v1/models/test-busy"))).body.model;
        if (model.download?.state !== "downloading" && model.download?.state !== "verifying") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(model.download.state).toBe("installed");
      expect(model).toMatchObject({ installed: true, partial_bytes: 0 });
      expect(mirror.requestsFor("busy.onnx").at(-1)).toMatchObject({ range: `bytes=${partial}-`, status: 206 });
      expect(sha256(readFileSync(join(dataDir, "models", "busy.onnx")))).toBe(VAD_SHA256);
    } finally {
      await t.stop();
      t = undefined as unknown as TestEngine;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
