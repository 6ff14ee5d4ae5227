import { afterAll, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, spawnServe } from "../helpers/cli.js";
import { startTestEngine } from "../helpers/engine.js";
import { DataDirBusyError } from "../../main/engine/index.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-single-"));
const KEY = "vd_test_single_engine_key_0123456789";
const env = { VOICEDOCK_API_KEY: KEY, VOICEDOCK_LOG_LEVEL: "warn" };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const api = (url: string, path: string, body?: unknown) =>
  fetch(url + path, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe("one engine per data directory (issue #13 §10)", () => {
  it("a second `voicedock serve` exits non-zero naming the first, and leaves its live call untouched; recovery waits for the lock and the ports", async () => {
    // A carrier that takes our INVITE and never answers: the first engine's outbound call stays live.
    const carrier = createSocket("udp4");
    const invites: string[] = [];
    carrier.on("message", (m) => {
      if (m.toString().startsWith("INVITE ")) invites.push(m.toString());
    });
    await new Promise<void>((r) => carrier.bind(0, "127.0.0.1", () => r()));
    const busyPort = createServer();
    await new Promise<void>((r) => busyPort.listen(0, "127.0.0.1", () => r()));
    const takenPort = (busyPort.address() as { port: number }).port;

    const first = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
    let callId: string;
    try {
      const trunk = await api(first.url, "/api/v1/sip-trunks", {
        name: "Silent carrier",
        host: "127.0.0.1",
        port: carrier.address().port,
        register: false,
      });
      expect(trunk.status).toBe(201);
      const assistant = await api(first.url, "/api/v1/assistants", { name: "Caller" });
      const out = await api(first.url, "/api/v1/calls/outbound", {
        destination: "+31612345678",
        assistant_id: assistant.body.assistant.id,
      });
      expect(out.status).toBe(200);
      callId = out.body.call_id;
      for (let i = 0; i < 100 && invites.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(invites.length).toBeGreaterThan(0);
      const before = await api(first.url, `/api/v1/calls/${callId}`);
      expect(before.body.status).toBe("connecting");

      // The second engine, on another port so that only the lock can stop it.
      const second = runCli(["serve", "--data-dir", dataDir, "--port", "0"], { ...env, VOICEDOCK_SIP_PORT: "0" });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(
        `already running on ${dataDir} (pid ${first.proc.pid}, console at ${first.url}/)`,
      );
      expect(second.stdout).not.toMatch(/is ready/);

      const after = await api(first.url, `/api/v1/calls/${callId}`);
      expect(after.body).toEqual(before.body);
      const events = await api(first.url, `/api/v1/calls/${callId}/events`);
      expect(JSON.stringify(events.body)).not.toContain("engine_restart");
      expect((await api(first.url, "/api/v1/health")).status).toBe(200);
    } finally {
      // Killed, not stopped: its live call is left behind as after a crash.
      first.proc.kill("SIGKILL");
      await first.exited;
    }

    // A start that cannot get its HTTP port recovers nothing: the row stays as the crash left it.
    const blocked = runCli(["serve", "--data-dir", dataDir, "--port", String(takenPort)], {
      ...env,
      VOICEDOCK_SIP_PORT: "0",
    });
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(new RegExp(`Port ${takenPort} on 127.0.0.1 is already in use`));

    const third = await spawnServe(["--data-dir", dataDir, "--port", "0"], env);
    try {
      const recovered = await api(third.url, `/api/v1/calls/${callId}`);
      expect(recovered.body).toMatchObject({ status: "failed", end_reason: "engine_restart" });
      const events = (await api(third.url, `/api/v1/calls/${callId}/events`)).body;
      // Exactly one recovery: the blocked start did not write one.
      expect(JSON.stringify(events).match(/engine_restart/g)).toHaveLength(1);
    } finally {
      third.proc.kill("SIGTERM");
      expect((await third.exited).code).toBe(0);
      carrier.close();
      busyPort.close();
    }
  });

  it("in one process too, a second engine on the same directory is refused before the database opens; the lock is freed on stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "voicedock-single-inproc-"));
    try {
      const a = await startTestEngine({ dataDir: dir });
      const err = await startTestEngine({ dataDir: dir }).then(
        () => null,
        (e) => e,
      );
      expect(err).toBeInstanceOf(DataDirBusyError);
      expect(err.message).toContain(`(pid ${process.pid}, console at ${a.url}/)`);
      await a.stop();
      const b = await startTestEngine({ dataDir: dir });
      expect((await b.api("/api/v1/health")).status).toBe(200);
      await b.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
