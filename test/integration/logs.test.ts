import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServe } from "../helpers/cli.js";
import { UdpCarrier } from "../helpers/udp-carrier.js";
import { waitFor } from "../helpers/wait.js";

const KEY = "vd_test_logs_key_0123456789abcdef";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const api = (url: string, method: string, path: string, body?: unknown) =>
  fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

/** A real `voicedock serve`, a trunk to a carrier that refuses REGISTER, one outbound call that rings and is busy. */
async function scenario(level: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), "voicedock-logs-"));
  dirs.push(dir);
  const carrier = await new UdpCarrier().start();
  carrier.registerAnswer = [403, "Forbidden"];
  const s = await spawnServe(["--data-dir", dir, "--port", "0"], {
    VOICEDOCK_API_KEY: KEY,
    ...(level ? { VOICEDOCK_LOG_LEVEL: level } : {}),
  });
  try {
    await api(s.url, "POST", "/api/v1/sip-trunks", {
      name: "Carrier",
      host: "127.0.0.1",
      port: carrier.port,
      username: "acme",
      password: "pw-123456",
    });
    const assistant = (await api(s.url, "POST", "/api/v1/assistants", { name: "Dialer" })).body.assistant.id;
    for (let i = 0; i < 5; i++) await api(s.url, "GET", "/api/v1/calls");
    const out = await api(s.url, "POST", "/api/v1/calls/outbound", {
      destination: "+31612345678",
      assistant_id: assistant,
    });
    const invite = await waitFor(() => carrier.invites[0], 10_000);
    carrier.respond(invite, 180, "Ringing");
    await waitFor(() => s.output().includes(`call ${out.body.call_id}: ringing`), 10_000);
    carrier.respond(invite, 486, "Busy Here");
    await waitFor(() => s.output().includes(`call ${out.body.call_id}: failed`), 10_000);
    await waitFor(() => /trunk 'Carrier': failed/.test(s.output()), 10_000);
    return { output: s.output(), callId: out.body.call_id as string };
  } finally {
    s.proc.kill("SIGTERM");
    await s.exited;
    carrier.close();
  }
}

describe("logs a person can read (issue #13 §5)", () => {
  it("at the default level: one readable line per call event and registration change, no request lines, no JSON", async () => {
    const { output, callId } = await scenario(undefined);
    const lines = output.split("\n");
    const at = (re: RegExp) => lines.filter((l) => re.test(l));
    const stamp = "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ";
    expect(
      at(new RegExp(`${stamp}INFO  call ${callId}: outbound to \\+31612345678, assistant 'Dialer'$`)),
    ).toHaveLength(1);
    expect(at(new RegExp(`${stamp}INFO  call ${callId}: ringing$`))).toHaveLength(1);
    expect(at(new RegExp(`${stamp}WARN  call ${callId}: failed \\(sip_error\\): busy$`))).toHaveLength(1);
    expect(at(new RegExp(`${stamp}WARN  trunk 'Carrier': failed \\(.*403.*\\)`)).length).toBeGreaterThanOrEqual(1);
    expect(at(/GET \/api\/v1\/calls/)).toEqual([]);
    expect(at(/^\{"level"/)).toEqual([]);
    expect(output).not.toContain("pw-123456");
  });

  it("at debug: one line per request as well, with its status and time", async () => {
    const { output } = await scenario("debug");
    const requests = output.split("\n").filter((l) => / DEBUG GET \/api\/v1\/calls 200 \d+\.\d ms$/.test(l));
    expect(requests).toHaveLength(5);
  });
});
