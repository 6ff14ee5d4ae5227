import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { runCli, spawnServe } from "../helpers/cli.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";
import { openCredential } from "../../main/engine/store/credentials.js";
import { publicAssistant } from "../../main/engine/webhooks/payloads.js";
import { providerContext } from "../../main/engine/calls/assistant-session.js";
import { routeKey } from "../../main/engine/providers/key-route.js";
import { createLlm } from "../../main/engine/providers/index.js";
import { requestAssistant } from "../../main/engine/calls/assistant-request.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-security-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const KEY = "vd_test_SECRETAPIKEY_4b1d0c9e7f";
const SECRETS = {
  trunkPassword: "TRUNK-PASSWORD-7f3a9c",
  byokKey: "sk-BYOK-OPENAI-91d2e8aa",
  webhookSecret: "WEBHOOK-SECRET-5e6b1f",
  transientSecret: "TRANSIENT-SECRET-0a9d4c",
  toolSecret: "TOOL-SECRET-77ab01",
  headerBearer: "HEADER-BEARER-c0ffee",
  headerApiKey: "HEADER-APIKEY-51d3",
  templateSecret: "TEMPLATE-SECRET-e4e4",
  transientToolSecret: "TRANSIENT-TOOL-SECRET-9911",
  inboundAuthPassword: "INBOUND-AUTH-PASSWORD-3c3c",
};
const STT = { provider: "deepgram", model: "nova-3" };
const TTS = { provider: "local", voice_id: "flite-slt" };

describe("security", () => {
  it("binds 127.0.0.1 by default, and warns when asked to listen on every interface", async () => {
    const s = await spawnServe(["--data-dir", dataDir, "--port", "0"], { VOICEDOCK_API_KEY: KEY });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    s.proc.kill("SIGTERM");
    await s.exited;
    const open = await spawnServe(["--data-dir", dataDir, "--port", "0", "--host", "0.0.0.0"], {
      VOICEDOCK_API_KEY: KEY,
    });
    expect(open.output()).toMatch(/warning: listening on 0\.0\.0\.0/);
    open.proc.kill("SIGTERM");
    await open.exited;
  });

  it("no seeded secret appears in any API response, in the logs, or in clear in the data files", async () => {
    const s = await spawnServe(["--data-dir", dataDir, "--port", "0"], {
      VOICEDOCK_API_KEY: KEY,
      VOICEDOCK_LOG_LEVEL: "debug",
      VOICEDOCK_RATE_LIMIT: "100000",
    });
    const responses: string[] = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(s.url + path, {
        method,
        headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      responses.push(text);
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    try {
      const trunk = await call("POST", "/api/v1/sip-trunks", {
        name: "Main",
        host: "127.0.0.1",
        port: 5060,
        username: "alice",
        password: SECRETS.trunkPassword,
        inbound_auth: { username: "carrier", password: SECRETS.inboundAuthPassword },
      });
      expect(trunk.status).toBe(201);
      const trunkId = (trunk.body.trunk ?? trunk.body.sip_trunk).id;
      expect((await call("POST", "/api/v1/byok", { provider: "openai", api_key: SECRETS.byokKey })).status).toBe(200);
      const a = await call("POST", "/api/v1/assistants", {
        name: "Sec",
        webhook_url: "http://127.0.0.1:9/hook",
        webhook_secret: SECRETS.webhookSecret,
        webhook_events: ["status-update"],
        llm_config: {
          provider: "openai",
          model: "gpt-4o-mini",
          tools: [
            {
              type: "function",
              function: { name: "lookup" },
              server: { url: "http://127.0.0.1:9/tool", secret: SECRETS.toolSecret },
            },
            {
              name: "book",
              url: "http://127.0.0.1:9/book",
              headers: { Authorization: `Bearer ${SECRETS.headerBearer}`, "X-Api-Key": SECRETS.headerApiKey },
            },
          ],
        },
      });
      expect(a.status).toBe(201);
      const id = a.body.assistant.id;
      await call("PATCH", `/api/v1/assistants/${id}`, { webhook_secret: SECRETS.webhookSecret });
      const out = await call("POST", "/api/v1/calls/outbound", {
        destination: "+31612345678",
        assistant_id: id,
        assistant_override: { webhook_secret: SECRETS.transientSecret },
      });
      expect(out.status).toBe(200);
      const transient = await call("POST", "/api/v1/calls/outbound", {
        destination: "+31612345678",
        assistant: {
          stt_config: STT,
          tts_config: TTS,
          llm_config: {
            provider: "openai",
            model: "gpt-4o-mini",
            tools: [{ name: "t", server: { url: "http://127.0.0.1:9/t", secret: SECRETS.transientToolSecret } }],
          },
        },
      });
      expect(transient.status).toBe(200);
      const template = await call("POST", "/api/v1/tool-templates", {
        name: "crm_lookup",
        tool_type: "function",
        tool_config: {
          description: "Look up",
          parameters: { type: "object", properties: {} },
          url: "http://127.0.0.1:9/crm",
          server: { url: "http://127.0.0.1:9/crm", secret: SECRETS.templateSecret },
        },
      });
      expect(template.status).toBe(201);
      // The mask where each one was: a client can tell a secret is set, and send the object back unchanged.
      const shown = (await call("GET", `/api/v1/assistants/${id}`)).body.assistant;
      expect(shown.llm_config.tools[0].server.secret).toBe("********");
      expect(shown.llm_config.tools[1].headers).toEqual({ Authorization: "********", "X-Api-Key": "********" });
      expect(template.body.tool_template.tool_config.server.secret).toBe("********");
      await new Promise((r) => setTimeout(r, 300));
      for (const path of [
        "/api/v1/sip-trunks",
        `/api/v1/sip-trunks/${trunkId}`,
        "/api/v1/byok",
        "/api/v1/byok/config",
        "/api/v1/assistants",
        `/api/v1/assistants/${id}`,
        "/api/v1/agents",
        "/api/v1/calls",
        `/api/v1/calls/${out.body.call_id}`,
        `/api/v1/calls/${out.body.call_id}/events`,
        "/api/v1/organizations",
        "/api/v1/usage",
        "/api/v1/webhook-deliveries",
        "/api/openapi.json",
        "/api/v1/tool-templates",
        `/api/v1/tool-templates/${template.body.tool_template.id}`,
        `/api/v1/calls/${transient.body.call_id}`,
        `/api/v1/calls/${transient.body.call_id}/events`,
      ]) {
        expect((await call("GET", path)).status, path).toBe(200);
      }
      // The key in a WebSocket URL must not reach the log either.
      const ws = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/events?api_key=${KEY}`);
      await new Promise((resolve, reject) => {
        ws.once("message", resolve);
        ws.once("error", reject);
      });
      ws.close();
      // Nor when the parameter's name is percent-encoded: the query parser decodes it and authenticates.
      const encoded = new WebSocket(`${s.url.replace("http", "ws")}/api/v1/events?role=observer&api%5Fkey=${KEY}`);
      await new Promise((resolve, reject) => {
        encoded.once("message", resolve);
        encoded.once("error", reject);
      });
      encoded.close();
      await call("GET", "/api/v1/calls?status=bogus");
    } finally {
      s.proc.kill("SIGTERM");
      await s.exited;
    }

    const leaks: string[] = [];
    const everything = { responses: responses.join("\n"), log: s.output() };
    for (const [where, text] of Object.entries(everything)) {
      for (const [name, secret] of Object.entries({ ...SECRETS, apiKey: KEY }))
        if (text.includes(secret)) leaks.push(`${name} in ${where}`);
    }
    // At rest: every file in the data dir (database, WAL, key files) holds no secret in clear.
    for (const file of readdirSync(dataDir)) {
      const path = join(dataDir, file);
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path).toString("latin1");
      for (const [name, secret] of Object.entries({ ...SECRETS, apiKey: KEY }))
        if (bytes.includes(secret)) leaks.push(`${name} in ${file}`);
    }
    expect(leaks).toEqual([]);
    expect(s.output()).toMatch(/DEBUG GET \/api\/v1\/events\?api_key=\[redacted\] \(WebSocket\)/);
    expect(s.output()).toMatch(/DEBUG GET \/api\/v1\/events\?role=observer&api%5Fkey=\[redacted\] \(WebSocket\)/);
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
      const env = runCli(["serve", "--data-dir", dir, "--port", "0"], {
        VOICEDOCK_API_KEY: newKey,
        VOICEDOCK_SIP_PORT: "0",
      });
      expect(env.status).toBe(1);
      expect(env.stderr).toMatch(
        /VOICEDOCK_API_KEY is set to a revoked key \(vd_live_\w+…, revoked 20\d\d-.*\); a revoked key stays revoked/,
      );
      expect(env.stderr).toMatch(/voicedock keys create/);
      expect(runCli(["keys", "list", "--data-dir", dir]).stdout).toMatch(
        new RegExp(`${newKey.slice(0, 12)}….*revoked 20`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("bad flags give a clear message and exit code 2", () => {
    for (const args of [
      ["serve", "--port", "http"],
      ["serve", "--bogus"],
      ["serve", "--port", "70000"],
      ["frobnicate"],
      ["keys", "rotate"],
      ["keys", "revoke"],
    ]) {
      const r = runCli([...args, "--data-dir", dataDir]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^voicedock: .+/);
      expect(r.stderr).toContain("Usage:");
    }
  });
});

describe("secrets inside assistants, provider keys and assistant-request answers (issue #13 §6, §7)", () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine();
  });
  afterAll(async () => {
    await t.stop();
  });
  const send = async (method: string, path: string, json?: unknown) => {
    const r = await t.api(path, { method, json });
    return { status: r.status, body: (await r.json()) as any };
  };

  it("a tool secret is sealed at rest, masked in responses, kept when the mask is sent back, and opened only for the call", async () => {
    const created = await send("POST", "/api/v1/assistants", {
      name: "Tools",
      llm_config: {
        provider: "openai",
        model: "gpt-4o-mini",
        tools: [
          {
            name: "lookup",
            server: { url: "http://127.0.0.1:9/t", secret: "tool-secret-round-trip" },
            headers: { "X-Custom": "Token abc-123" },
          },
        ],
      },
    });
    const id = created.body.assistant.id;
    const stored = t.store.assistants.get(id)!.llm_config as any;
    expect(stored.tools[0].server.secret).toMatch(/^vd-sealed:v1:/);
    expect(stored.tools[0].headers["X-Custom"]).toMatch(/^vd-sealed:v1:/);
    // The console's round trip: GET, change one field, PATCH the block back with the masks in it.
    const shown = (await send("GET", `/api/v1/assistants/${id}`)).body.assistant;
    expect(shown.llm_config.tools[0]).toMatchObject({
      server: { secret: "********" },
      headers: { "X-Custom": "********" },
    });
    const patched = await send("PATCH", `/api/v1/assistants/${id}`, {
      llm_config: { ...shown.llm_config, temperature: 0.2 },
    });
    expect(patched.status).toBe(200);
    const after = t.store.assistants.get(id)!.llm_config as any;
    expect(openCredential(t.store.box, after.tools[0].server.secret)).toBe("tool-secret-round-trip");
    expect(openCredential(t.store.box, after.tools[0].headers["X-Custom"])).toBe("Token abc-123");
    // A new value replaces it; null removes it.
    await send("PATCH", `/api/v1/assistants/${id}`, {
      llm_config: {
        ...shown.llm_config,
        tools: [{ ...shown.llm_config.tools[0], server: { url: "http://127.0.0.1:9/t", secret: "rotated" } }],
      },
    });
    expect(openCredential(t.store.box, (t.store.assistants.get(id)!.llm_config as any).tools[0].server.secret)).toBe(
      "rotated",
    );
    // Webhook receivers never get sealed values either; the user's own metadata is echoed as given.
    expect(JSON.stringify(publicAssistant(t.store.assistants.get(id)!))).not.toContain("vd-sealed");
    await send("PATCH", `/api/v1/assistants/${id}`, { metadata: { crm_token: "crm-ref-77" } });
    expect(publicAssistant(t.store.assistants.get(id)!).metadata).toEqual({ crm_token: "crm-ref-77" });
  });

  it("a saved key goes to its provider or to the base_url saved with it, and nowhere an assistant names", async () => {
    const set = await send("POST", "/api/v1/byok", {
      provider: "openai",
      api_key: "sk-never-leaves-1234",
      base_url: "https://gateway.example.org/v1",
    });
    expect(set.status).toBe(200);
    const ctx = providerContext(t.store, "/nonexistent");
    expect(routeKey(ctx.keys, "openai", undefined)).toMatchObject({
      baseUrl: "https://gateway.example.org/v1",
      apiKey: "sk-never-leaves-1234",
    });
    // Anyone with an API key may edit assistants: naming their own server gets them an error, not the key.
    expect(() =>
      createLlm({ provider: "openai", model: "gpt-4o-mini", base_url: "https://collector.example.net/v1" }, ctx),
    ).toThrow(/The saved OpenAI key is not sent to llm_config\.base_url https:\/\/collector\.example\.net\/v1/);
    // ...and cannot re-point the saved key without sending the key itself.
    const moved = await send("POST", "/api/v1/byok/config", {
      provider: "openai",
      config: { base_url: "https://collector.example.net/v1" },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toMatch(/only be set together with the key/);
    expect(
      (
        await send("POST", "/api/v1/byok/config", {
          provider: "openai",
          config: { base_url: "https://gateway.example.org/v1", first_token_timeout_ms: 5000 },
        })
      ).status,
    ).toBe(200);
    // Saving the key again without a base_url sends it to the official host only.
    await send("POST", "/api/v1/byok", { provider: "openai", api_key: "sk-never-leaves-1234" });
    expect(
      routeKey(providerContext(t.store, "/nonexistent").keys, "openai", "https://gateway.example.org/v1"),
    ).toMatchObject({ apiKey: null, withheld: true });
  });

  it("an assistant-request answer is checked like POST /assistants; a refused one leaves the saved assistant", async () => {
    let answer: unknown = {};
    const receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer)));
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    try {
      const saved = {
        name: "Desk",
        webhook_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
        webhook_events: ["assistant-request"],
        llm_config: { provider: "openai", model: "gpt-4o-mini" },
        stt_config: STT,
        tts_config: TTS,
      };
      const call = t.engine.calls.create({
        id: "call-inbound-arq1",
        status: "connecting",
        direction: "inbound",
        caller_phone: "+31612345678",
        assistant_config: saved,
      });
      const cases: [unknown, RegExp][] = [
        [
          {
            assistant: {
              llm_config: { provider: "evil-llm", model: "x", base_url: "https://collector.example.net/v1" },
            },
          },
          /assistant\.llm_config\.provider must be equal to one of the allowed values/,
        ],
        [
          { assistant: { llm_config: { provider: "xai_realtime", model: "grok" } } },
          /assistant\.llm_config\.provider 'xai_realtime' is not supported in this version/,
        ],
        [
          { assistant: { tts_config: { provider: "local", voice_id: "piper-en_US-lessac-medium" } } },
          /assistant\.tts_config\.voice_id 'piper-en_US-lessac-medium' is not supported in this version/,
        ],
        [{ assistant: { max_duration_seconds: "forever" } }, /assistant\.max_duration_seconds must be integer/],
        [
          {
            assistant_id: (await send("POST", "/api/v1/assistants", { name: "Other" })).body.assistant.id,
            assistant_override: { webhook_url: "not a url" },
          },
          /assistant_override\.webhook_url must/,
        ],
      ];
      for (const [body, why] of cases) {
        answer = body;
        const d = await requestAssistant(t.store, t.engine.webhooks, call, saved);
        expect(d.assistant, JSON.stringify(body)).toBe(saved);
        expect(d.problem).toMatch(/^assistant-request answer refused: /);
        expect(d.problem).toMatch(why);
      }
      answer = { assistant: { first_message: "Hello from the CRM", metadata: { crm_id: "42" } } };
      const ok = await requestAssistant(t.store, t.engine.webhooks, call, saved);
      expect(ok.problem).toBeUndefined();
      expect(ok.assistant).toMatchObject({
        first_message: "Hello from the CRM",
        metadata: { crm_id: "42" },
        llm_config: saved.llm_config,
      });
    } finally {
      receiver.close();
    }
  });
});
