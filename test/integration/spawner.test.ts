import { createHash, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Spawner, type RemoteChild } from "../../main/engine/spawner/spawner.js";
import { EspeakTts } from "../../main/engine/providers/tts/espeak.js";
import { spawner as shared } from "../../main/engine/spawner/spawner.js";
import { ProviderError } from "../../main/engine/providers/errors.js";

// The helper process that runs the engine's child processes (issue #18: a fork of the engine stalls the
// media thread). Real processes on both sides: sh, head, cat, sha256sum, sleep, espeak-ng.
const dir = mkdtempSync(join(tmpdir(), "spawner-test-"));
const spawner = new Spawner();
afterAll(() => {
  spawner.stop();
  shared.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const collect = (c: RemoteChild): Promise<Buffer> =>
  new Promise((resolve) => {
    const parts: Buffer[] = [];
    c.stdout.on("data", (d: Buffer) => parts.push(d));
    c.stdout.on("end", () => resolve(Buffer.concat(parts)));
  });
// A killed child of a dead helper is re-parented; until its new parent reaps it, it is a zombie (state Z).
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("spawner", () => {
  it("relays binary stdout byte for byte", async () => {
    const file = join(dir, "random.bin");
    const c = spawner.spawn("sh", ["-c", `head -c 100000 /dev/urandom | tee ${file}`]);
    const [out, exit] = await Promise.all([collect(c), c.exited]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(out.length).toBe(100_000);
    expect(sha(out)).toBe(sha(readFileSync(file)));
  });

  it("pipes stdin through, with backpressure, and ends it", async () => {
    const input = randomBytes(1_000_000);
    const c = spawner.spawn("sha256sum", [], { stdin: "pipe" });
    const out = collect(c);
    for (let i = 0; i < input.length; i += 4096) {
      if (!c.stdin!.write(input.subarray(i, i + 4096))) await new Promise((r) => c.stdin!.once("drain", r));
    }
    c.stdin!.end();
    expect((await out).toString().split(" ")[0]).toBe(sha(input));
    expect((await c.exited).code).toBe(0);
  });

  it("reports exit codes, a missing program, and kill signals; close comes after the last byte", async () => {
    const three = spawner.spawn("sh", ["-c", "printf abc; exit 3"]);
    let text = "";
    three.stdout.setEncoding("utf8").on("data", (d: string) => {
      text += d;
    });
    const closed = new Promise<number | null>((r) => three.on("close", (code: number | null) => r(code)));
    expect(await closed).toBe(3);
    expect(text).toBe("abc");
    expect(three.exitCode).toBe(3);

    const missing = spawner.spawn("voicedock-no-such-program", []);
    const err = new Promise<NodeJS.ErrnoException>((r) => missing.on("error", r));
    expect((await err).code).toBe("ENOENT");
    await missing.exited;

    const sleeper = spawner.spawn("sleep", ["30"]);
    await new Promise((r) => setTimeout(r, 200));
    expect(sleeper.pid).toBeGreaterThan(0);
    expect(sleeper.kill("SIGTERM")).toBe(true);
    expect(await sleeper.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(alive(sleeper.pid!)).toBe(false);
  });

  it("makes named pipes", async () => {
    const path = join(dir, "pipe.pcm");
    await spawner.mkfifo(path);
    const st = statSync(path);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    await expect(spawner.mkfifo(path)).rejects.toThrow(/mkfifo/);
  });

  it("a helper that dies fails its children in flight, kills them, and is restarted on next use", async () => {
    await spawner.warm();
    const first = spawner.helperPid!;
    const sleeper = spawner.spawn("sleep", ["30"]);
    await new Promise((r) => setTimeout(r, 200));
    const errors: NodeJS.ErrnoException[] = [];
    sleeper.on("error", (e) => errors.push(e));
    const quiet = spawner.spawn("sleep", ["30"]); // no "error" listener: must not throw into the engine
    process.kill(first, "SIGKILL");
    expect(await sleeper.exited).toEqual({ code: null, signal: null });
    await quiet.exited;
    expect(errors.map((e) => e.code)).toEqual(["ESPAWNER"]);
    expect(errors[0].message).toMatch(/spawner stopped/);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(sleeper.pid!)).toBe(false);

    const again = spawner.spawn("sh", ["-c", "echo back"]);
    expect((await collect(again)).toString()).toBe("back\n");
    expect(spawner.helperPid).not.toBe(first);
  });

  it("the helper and its children end when the engine dies (SIGKILL, no chance to clean up)", async () => {
    const script = join(dir, "engine.mts");
    const api = pathToFileURL(join(import.meta.dirname, "../../main/engine/spawner/spawner.ts")).href;
    writeFileSync(
      script,
      `import { spawner } from ${JSON.stringify(api)};
      await spawner.warm();
      const c = spawner.spawn("sleep", ["60"]);
      setTimeout(() => console.log(JSON.stringify({ helper: spawner.helperPid, child: c.pid })), 300);
      setInterval(() => {}, 1000);`,
    );
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
    const engine = spawn(process.execPath, ["--import", tsx, script], { stdio: ["ignore", "pipe", "inherit"] });
    const pids = await new Promise<{ helper: number; child: number }>((r) =>
      engine.stdout.once("data", (d) => r(JSON.parse(String(d)))),
    );
    expect(alive(pids.helper) && alive(pids.child)).toBe(true);
    engine.kill("SIGKILL");
    for (let i = 0; i < 50 && (alive(pids.helper) || alive(pids.child)); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(alive(pids.helper)).toBe(false);
    expect(alive(pids.child)).toBe(false);
  });

  it("espeak-ng through the helper: a lost helper is a provider error, and the next sentence works", async () => {
    const tts = new EspeakTts("espeak-en");
    const signal = new AbortController().signal;
    const long = "This sentence is long enough to still be speaking when the helper goes away. ".repeat(20);
    const it1 = tts.synthesize({ text: long, signal })[Symbol.asyncIterator]();
    expect((await it1.next()).done).toBe(false);
    process.kill(shared.helperPid!, "SIGKILL");
    const err = await (async () => {
      try {
        while (!(await it1.next()).done);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("unavailable");

    let samples = 0;
    for await (const pcm of tts.synthesize({ text: "Hello again.", signal })) samples += pcm.length;
    expect(samples).toBeGreaterThan(10_000);
  });
});
