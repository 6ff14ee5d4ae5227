import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, spawnServe } from "../helpers/cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-security-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const KEY = "vd_test_SECRETAPIKEY_4b1d0c9e7f";
const SECRETS = {
  trunkPassword: "TRUNK-PASSWORD-7f3a9c",
  byokKey: "sk-BYOK-OPENAI-91d2e8aa",
  webhookSecret: "WEBHOOK-SECRET-5e6b1f",
  transientSecret: "TRANSIENT-SECRET-0a9d4c",
};

describe("security", () => {
  it("binds 127.0.0.1 by default, and warns when asked to listen on every interface", async () => {
    const s = await spawnServe(["--data-dir", dataDir, "--port", "0"], { VOICEDOCK_API_KEY: KEY });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    s.proc.kill("SIGTERM");
    await s.exited;
    const open = await spawnServe(["--data-dir", dataDir, "--port", "0", "--host", "0.0.0.0"], { VOICEDOCK_API_KEY: KEY });
    expect(open.output()).toMatch(/warning: listening on 0\.0\.0\.0/);
    open.proc.kill("SIGTERM");
    await open.exited;
  });

  it("no seeded secret appears in any API response, in the logs, or in clear in the data files", async () => {
    const s = await spawnServe(["--data-dir", dataDir, "--port", "0"], { VOICEDOCK_API_KEY: KEY, VOICEDOCK_LOG_LEVEL: "debug", VOICEDOCK_RATE_LIMIT: "100000" });
    const responses: string[] = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(s.url + path, { method, headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      responses.push(text);
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    try {
      const trunk = await call("POST", "/api/v1/sip-trunks", { name: "Main", host: "127.0.0.1", port: 5060, username: "alice", password: SECRETS.trunkPassword });
      expect(trunk.status).toBe(201);
      const trunkId = (trunk.body.trunk ?? trunk.body.sip_trunk).id;
      expect((await call("POST", "/api/v1/byok", { provider: "openai", api_key: SECRETS.byokKey })).status).toBe(200);
      const a = await call("POST", "/api/v1/assistants", { name: "Sec", webhook_url: "http://127.0.0.1:9/hook", webhook_secret: SECRETS.webhookSecret, webhook_events: ["status-update"] });
      expect(a.status).toBe(201);
      const id = a.body.assistant.id;
      await call("PATCH", `/api/v1/assistants/${id}`, { webhook_secret: SECRETS.webhookSecret });
      const out = await call("POST", "/api/v1/calls/outbound", { destination: "+31612345678", assistant_id: id, assistant_override: { webhook_secret: SECRETS.transientSecret } });
      expect(out.status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      for (const path of ["/api/v1/sip-trunks", `/api/v1/sip-trunks/${trunkId}`, "/api/v1/byok", "/api/v1/byok/config", "/api/v1/assistants", `/api/v1/assistants/${id}`,
        "/api/v1/agents", "/api/v1/calls", `/api/v1/calls/${out.body.call_id}`, `/api/v1/calls/${out.body.call_id}/events`, "/api/v1/organizations", "/api/v1/usage",
        "/api/v1/webhook-deliveries", "/api/openapi.json"]) {
        expect((await call("GET", path)).status, path).toBe(200);
      }
      // The key in a WebSocket URL must not reach the log either.
      const ws = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/events?api_key=${KEY}`);
      await new Promise((resolve, reject) => { ws.once("message", resolve); ws.once("error", reject); });
      ws.close();
      // Nor when the parameter's name is percent-encoded: the query parser decodes it and authenticates.
      const encoded = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/events?role=observer&api%5Fkey=${KEY}`);
      await new Promise((resolve, reject) => { encoded.once("message", resolve); encoded.once("error", reject); });
      encoded.close();
      await call("GET", "/api/v1/calls?status=bogus");
    } finally {
      s.proc.kill("SIGTERM");
      await s.exited;
    }

    const leaks: string[] = [];
    const everything = { responses: responses.join("\n"), log: s.output() };
    for (const [where, text] of Object.entries(everything)) {
      for (const [name, secret] of Object.entries({ ...SECRETS, apiKey: KEY })) if (text.includes(secret)) leaks.push(`${name} in ${where}`);
    }
    // At rest: every file in the data dir (database, WAL, key files) holds no secret in clear.
    for (const file of readdirSync(dataDir)) {
      const path = join(dataDir, file);
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path).toString("latin1");
      for (const [name, secret] of Object.entries({ ...SECRETS, apiKey: KEY })) if (bytes.includes(secret)) leaks.push(`${name} in ${file}`);
    }
    expect(leaks).toEqual([]);
    expect(s.output()).toMatch(/"url":"\/api\/v1\/events\?api_key=\[redacted\]"/);
    expect(s.output()).toMatch(/"url":"\/api\/v1\/events\?role=observer&api%5Fkey=\[redacted\]"/);
    expect((statSync(join(dataDir, "secret.key")).mode & 0o777).toString(8)).toBe("600");
  });

  it("a generated key is shown once, saved 0600, stored only as a hash; keys can be listed and revoked from the CLI", async () => {
    const dir = mkdtempSync(join(tmpdir(), "voicedock-keys-"));
    try {
      const s = await spawnServe(["--data-dir", dir, "--port", "0"], { VOICEDOCK_API_KEY: "" });
      const key = /API key \(shown once[^\n]*\n\s+(\S+)/.exec(s.output())?.[1];
      expect(key).toMatch(/^vd_live_[A-Za-z0-9]{32}$/);
      expect((statSync(join(dir, "api-key.txt")).mode & 0o777).toString(8)).toBe("600");
      expect(readFileSync(join(dir, "api-key.txt"), "utf8").trim()).toBe(key);
      const ok = await fetch(`${s.url}/api/v1/calls`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      s.proc.kill("SIGTERM");
      await s.exited;
      for (const f of ["voicedock.db", "voicedock.db-wal"]) {
        if (existsSync(join(dir, f))) expect(readFileSync(join(dir, f)).toString("latin1").includes(key!)).toBe(false);
      }

      const created = runCli(["keys", "create", "--name", "ci", "--data-dir", dir]);
      expect(created.status).toBe(0);
      const newKey = created.stdout.trim().split("\n").pop()!;
      const listed = runCli(["keys", "list", "--data-dir", dir]);
      expect(listed.stdout).toContain(newKey.slice(0, 12));
      expect(listed.stdout).not.toContain(newKey);
      expect(runCli(["keys", "revoke", newKey.slice(0, 12), "--data-dir", dir]).status).toBe(0);
      const again = await spawnServe(["--data-dir", dir, "--port", "0"]);
      const revoked = await fetch(`${again.url}/api/v1/calls`, { headers: { authorization: `Bearer ${newKey}` } });
      expect(revoked.status).toBe(401);
      expect(((await revoked.json()) as any).message).toMatch(/revoked/);
      again.proc.kill("SIGTERM");
      await again.exited;

      // Setting the revoked key in VOICEDOCK_API_KEY does not bring it back: serve refuses to start.
      const env = runCli(["serve", "--data-dir", dir, "--port", "0"], { VOICEDOCK_API_KEY: newKey, VOICEDOCK_SIP_PORT: "0" });
      expect(env.status).toBe(1);
      expect(env.stderr).toMatch(/VOICEDOCK_API_KEY is set to a revoked key \(vd_live_\w+…, revoked 20\d\d-.*\); a revoked key stays revoked/);
      expect(env.stderr).toMatch(/voicedock keys create/);
      expect(runCli(["keys", "list", "--data-dir", dir]).stdout).toMatch(new RegExp(`${newKey.slice(0, 12)}….*revoked 20`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bad flags give a clear message and exit code 2", () => {
    for (const args of [["serve", "--port", "http"], ["serve", "--bogus"], ["serve", "--port", "70000"], ["frobnicate"], ["keys", "rotate"], ["keys", "revoke"]]) {
      const r = runCli([...args, "--data-dir", dataDir]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^voicedock: .+/);
      expect(r.stderr).toContain("Usage:");
    }
  });
});
