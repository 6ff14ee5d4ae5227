import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, spawnServe } from "../helpers/cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "voicedock-login-"));
const ENV_KEY = "vd_test_console_login_key_0123456789";
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const login = (base: string, token: string) =>
  fetch(`${base}/api/v1/console/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });

describe("the one-time console link printed by `voicedock serve`", () => {
  it("signs one browser in once with a new key of its own; a second use, a wrong token and a flood are refused", async () => {
    const serve = await spawnServe(["--data-dir", dataDir, "--port", "0"], {
      VOICEDOCK_API_KEY: ENV_KEY,
      VOICEDOCK_LOG_LEVEL: "warn",
    });
    try {
      // Printed after the ready line, in the same write.
      const m = /Console: (http:\/\/127\.0\.0\.1:\d+)\/#\/login\?token=([A-Za-z0-9_-]+)\s/.exec(serve.output());
      expect(m, serve.output()).not.toBeNull();
      const [, base, token] = m!;
      expect(base).toBe(serve.url);
      expect(token.length).toBeGreaterThanOrEqual(40);

      const first = await login(base, token);
      expect(first.status).toBe(200);
      const { api_key } = (await first.json()) as { api_key: string };
      expect(api_key).toMatch(/^vd_live_/);
      expect(api_key).not.toBe(ENV_KEY);

      const again = await login(base, token);
      expect(again.status).toBe(401);
      const refused = (await again.json()) as { error: string; message: string };
      expect(refused.error).toBe("Unauthorized");
      expect(refused.message).toMatch(/unknown, already used or expired/);

      const calls = await fetch(`${base}/api/v1/calls`, { headers: { authorization: `Bearer ${api_key}` } });
      expect(calls.status).toBe(200);
      expect(Array.isArray(((await calls.json()) as { calls: unknown[] }).calls)).toBe(true);

      // The browser's key is a key of its own, named for where it came from, and revocable on its own.
      const list = runCli(["keys", "list", "--data-dir", dataDir]);
      expect(list.status).toBe(0);
      const line = list.stdout.split("\n").find((l) => l.includes(api_key.slice(0, 12)));
      expect(line).toContain("console (one-time link)");

      expect((await login(base, "not-a-token")).status).toBe(401);
      // No key needed, so the address is limited: 10 attempts a minute.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await login(base, `guess-${i}`)).status);
      expect(statuses).toContain(429);
      expect(serve.output()).not.toContain(api_key);
    } finally {
      serve.proc.kill("SIGTERM");
      expect((await serve.exited).code).toBe(0);
    }
  });
});
