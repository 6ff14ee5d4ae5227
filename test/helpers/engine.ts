import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type Engine, type EngineConfig } from "../../main/engine/index.js";
import { randomBase62 } from "../../main/engine/util/ids.js";

export interface TestEngine {
  url: string;
  apiKey: string;
  dataDir: string;
  engine: Engine;
  store: Engine["store"];
  /** fetch against the engine with the test key; `init.auth === false` sends no key. */
  api(path: string, init?: RequestInit & { json?: unknown; auth?: boolean | string }): Promise<Response>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/** Starts a real engine on 127.0.0.1 with a random port, a fresh data dir and a known API key. */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}): Promise<TestEngine> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "voicedock-test-"));
  const apiKey = overrides.apiKey ?? `vd_test_${randomBase62(24)}`;
  const engine = await createEngine({
    host: "127.0.0.1",
    port: 0,
    sipPort: 0,
    logLevel: "silent",
    rateLimitPerMinute: 100000,
    controlRateLimitPerMinute: 10,
    ...overrides,
    dataDir,
    apiKey,
  });
  await engine.start();
  const url = engine.url;
  return {
    url,
    apiKey,
    dataDir,
    engine,
    store: engine.store,
    api(path, init = {}) {
      const { json, auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth !== false) headers.set("authorization", `Bearer ${typeof auth === "string" ? auth : apiKey}`);
      if (json !== undefined) headers.set("content-type", "application/json");
      return fetch(url + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async stop({ keepData = false } = {}) {
      await engine.stop();
      if (!keepData && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
