import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");

describe("an unhandled rejection does not take the engine down (issue #13 §13)", () => {
  it("a real Node process with the guard logs the rejection and keeps running; without it Node exits", () => {
    const script = (guard: boolean) => `
      const { guardUnhandledRejections } = await import(${JSON.stringify(join(ROOT, "main/engine/log/crash-guard.ts"))});
      ${guard ? `guardUnhandledRejections(process, { error: (_o, msg) => console.error("LOGGED " + msg) });` : ""}
      Promise.reject(new Error("webhook receiver vanished"));
      setTimeout(() => { console.log("still serving calls"); }, 200);`;
    const run = (guard: boolean) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(guard)], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 30_000,
      });
    const guarded = run(true);
    expect(guarded.status).toBe(0);
    expect(guarded.stderr).toContain(
      "LOGGED unhandled promise rejection (the engine goes on): webhook receiver vanished",
    );
    expect(guarded.stdout).toContain("still serving calls");
    const bare = run(false);
    expect(bare.status).not.toBe(0);
    expect(bare.stdout).not.toContain("still serving calls");
  });
});
