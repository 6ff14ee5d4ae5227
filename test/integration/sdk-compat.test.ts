import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

// What the official `hmsovereign` Node SDK (1.0.x, src/client.ts) puts on the wire, rebuilt here because
// the package is not a dependency: `Content-Type: application/json` and its User-Agent on EVERY request,
// the body only when there is one (`body ? JSON.stringify(body) : undefined`), the query through
// URLSearchParams (booleans as "true"), path ids as given, and retries on 5xx/429.
async function sdk(
  t: TestEngine,
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string | number | boolean | undefined> } = {},
) {
  const url = new URL(`${t.url}/api/v1${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${t.apiKey}`,
      "Content-Type": "application/json",
      "User-Agent": "hmsovereign-node/1.0.1",
    },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A raw HTTP/1.1 request, so the test controls Content-Length / Transfer-Encoding exactly. */
function raw(t: TestEngine, method: string, path: string, headers: Record<string, string>, chunks: string[] = []) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const u = new URL(t.url + path);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: u.pathname + u.search,
        headers: { authorization: `Bearer ${t.apiKey}`, ...headers },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.stop();
});

const newAssistant = async (name: string) =>
  (await sdk(t, "POST", "/assistants", { body: { name } })).body.assistant.id as string;

describe("the official SDK's request shapes (issue #13 §1)", () => {
  it("assistants: create, get, update, list, delete — the delete carries Content-Type: application/json and no body", async () => {
    const created = await sdk(t, "POST", "/assistants", { body: { name: "SDK desk", first_message: "Hello" } });
    expect(created.status).toBe(201);
    const id = created.body.assistant.id;
    expect((await sdk(t, "GET", `/assistants/${id}`)).body.assistant.name).toBe("SDK desk");
    expect(
      (await sdk(t, "PATCH", `/assistants/${id}`, { body: { first_message: "Hi" } })).body.assistant.first_message,
    ).toBe("Hi");
    expect((await sdk(t, "GET", "/assistants")).body.assistants.map((a: any) => a.id)).toContain(id);
    const del = await sdk(t, "DELETE", `/assistants/${id}`);
    expect(del).toEqual({ status: 200, body: { success: true } });
    expect((await sdk(t, "GET", `/assistants/${id}`)).status).toBe(404);
    // The deprecated alias too.
    const old = await newAssistant("Old alias");
    expect(await sdk(t, "DELETE", `/agents/${old}`)).toEqual({ status: 200, body: { success: true } });
  });

  it("sipTrunks, numbers, tool and analysis template deletes all succeed", async () => {
    const trunk = await sdk(t, "POST", "/sip-trunks", {
      body: {
        name: "Carrier",
        provider: "Voys",
        outbound_address: "sip.voys.example",
        auth_username: "acme",
        auth_password: "pw-12345",
      },
    });
    expect(trunk.status).toBe(201);
    expect(await sdk(t, "DELETE", `/sip-trunks/${trunk.body.trunk.id}`)).toEqual({
      status: 200,
      body: { success: true },
    });

    const number = await sdk(t, "POST", "/numbers", { body: { phone_number: "+31850000001" } });
    expect(await sdk(t, "DELETE", `/numbers/${number.body.number.id}`)).toEqual({
      status: 200,
      body: { success: true },
    });

    const tool = await sdk(t, "POST", "/tool-templates", {
      body: { name: "Hang up", tool_type: "endCall", tool_config: {} },
    });
    expect(tool.status).toBe(201);
    expect(await sdk(t, "DELETE", `/tool-templates/${tool.body.tool_template.id}`)).toEqual({
      status: 200,
      body: { success: true },
    });

    const analysis = await sdk(t, "POST", "/analysis-templates", {
      body: { name: "Mood", system_prompt: "Rate", user_prompt: "{transcript}", schema: { type: "object" } },
    });
    expect(analysis.status).toBe(201);
    expect(await sdk(t, "DELETE", `/analysis-templates/${analysis.body.analysis_template.id}`)).toEqual({
      status: 200,
      body: { success: true },
    });
  });

  it("byok.delete sends its body on a DELETE; byok.set and GETs with the JSON header work", async () => {
    expect(
      (await sdk(t, "POST", "/byok", { body: { provider: "deepgram", api_key: "dg-key-abc" } })).body.success,
    ).toBe(true);
    const del = await sdk(t, "DELETE", "/byok", { body: { provider: "deepgram" } });
    expect(del.status).toBe(200);
    expect(del.body.byok_keys.deepgram_secret_id).toBeNull();
    expect((await sdk(t, "GET", "/byok/config")).status).toBe(200);
    expect((await sdk(t, "GET", "/voices")).status).toBe(200);
    expect((await sdk(t, "GET", "/organizations")).status).toBe(200);
  });

  it("calls.list / listAll and usage.list query strings (undefined dropped, numbers as text)", async () => {
    const list = await sdk(t, "GET", "/calls", {
      query: { limit: 10, offset: 0, status: "ended", start_date: "2026-01-01", end_date: undefined },
    });
    expect(list).toEqual({ status: 200, body: { calls: [], pagination: { total: 0, limit: 10, offset: 0 } } });
    const page = await sdk(t, "GET", "/calls", { query: { status: "in-progress", limit: 100, offset: 100 } });
    expect(page.body.pagination).toEqual({ total: 0, limit: 100, offset: 100 });
    const usage = await sdk(t, "GET", "/usage", { query: { start_date: "2026-01-01", limit: 100, offset: 0 } });
    expect(usage.status).toBe(200);
    expect(usage.body.pagination).toMatchObject({ limit: 100, offset: 0 });
  });

  it("an empty body is accepted whatever its Content-Type, on every method", async () => {
    const types = [
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
    ];
    for (const type of types) {
      const id = await newAssistant(`empty ${type}`);
      const withLength = await raw(t, "DELETE", `/api/v1/assistants/${id}`, {
        "content-type": type,
        "content-length": "0",
      });
      expect({ type, ...withLength }).toEqual({ type, status: 200, body: { success: true } });
      const id2 = await newAssistant(`no length ${type}`);
      const noLength = await raw(t, "DELETE", `/api/v1/assistants/${id2}`, { "content-type": type });
      expect({ type, ...noLength }).toEqual({ type, status: 200, body: { success: true } });
    }
    // Chunked with no chunks: the JSON parser takes "" as no body.
    const id3 = await newAssistant("chunked");
    expect(
      await raw(t, "DELETE", `/api/v1/assistants/${id3}`, {
        "content-type": "application/json",
        "transfer-encoding": "chunked",
      }),
    ).toEqual({ status: 200, body: { success: true } });
    // Body-less POST and GET with the JSON header: the route answers, not the body parser.
    const redeliver = await raw(
      t,
      "POST",
      "/api/v1/webhook-deliveries/00000000-0000-4000-8000-000000000000/redeliver",
      { "content-type": "application/json", "content-length": "0" },
    );
    expect(redeliver.status).toBe(404);
    expect(
      (await raw(t, "GET", "/api/v1/assistants", { "content-type": "application/json", "content-length": "0" })).status,
    ).toBe(200);
  });

  it("a route that needs a body still says so, and real bodies are still parsed and checked", async () => {
    const empty = await raw(t, "POST", "/api/v1/assistants", {
      "content-type": "application/json",
      "content-length": "0",
    });
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/body/);
    const bad = await raw(t, "POST", "/api/v1/assistants", { "content-type": "application/json" }, ['{"name": ']);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/not valid JSON/);
    const poisoned = await raw(t, "POST", "/api/v1/assistants", { "content-type": "application/json" }, [
      '{"name": "x", "__proto__": {"admin": true}}',
    ]);
    expect(poisoned.status).toBe(400);
    const text = await raw(t, "POST", "/api/v1/assistants", { "content-type": "text/plain" }, ["name=x"]);
    expect(text.status).toBe(415);
    const chunked = await raw(
      t,
      "POST",
      "/api/v1/assistants",
      { "content-type": "application/json", "transfer-encoding": "chunked" },
      ['{"name":', '"Chunked"}'],
    );
    expect(chunked.status).toBe(201);
    expect(chunked.body.assistant.name).toBe("Chunked");
  });
});
