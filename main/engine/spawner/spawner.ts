import { fork, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable, Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FromSpawner, ToSpawner } from "./protocol.js";

export interface SpawnOptions {
  stdin?: "pipe" | "ignore";
}
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What a failed start or a lost helper reports: `code` as Node's spawn would (ENOENT…), or ESPAWNER. */
export class SpawnError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * A child process run by the spawner helper, shaped like the part of ChildProcess our providers use:
 * `stdout`, `stdin` when piped, events "error" (could not start, or the helper was lost), "exit" and
 * "close" (code, signal; "close" once stdout is done), `exited`, `kill()`.
 */
export class RemoteChild extends EventEmitter {
  readonly stdout = new Readable({ read() {} });
  readonly stdin: Writable | null;
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Resolves when the child has exited, was never started, or was lost with the helper. */
  readonly exited: Promise<ExitStatus>;
  private ended = false;
  private settle: (s: ExitStatus) => void = () => {};

  constructor(
    readonly id: number,
    private readonly owner: Spawner,
    stdin: "pipe" | "ignore",
  ) {
    super();
    this.exited = new Promise((r) => {
      this.settle = r;
    });
    this.stdin =
      stdin === "pipe"
        ? new Writable({
            // The callback waits for the bytes to be on the channel: a fast writer is held back, not buffered here.
            write: (chunk: Buffer, _enc, cb) => owner.send({ op: "stdin", id, data: chunk }, cb),
            final: (cb) => owner.send({ op: "stdinEnd", id }, cb),
          })
        : null;
    this.stdin?.on("error", () => {});
  }

  get running(): boolean {
    return !this.ended;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): boolean {
    if (this.ended) return false;
    this.owner.send({ op: "kill", id: this.id, signal });
    return true;
  }

  /** @internal the helper's news about this child. */
  receive(m: FromSpawner): void {
    if (m.op === "spawned") this.pid = m.pid;
    else if (m.op === "stdout")
      this.stdout.push(
        Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
      );
    else if (m.op === "error") this.fail(new SpawnError(m.message, m.code), false);
    else if (m.op === "exit") this.end(m.code, m.signal, this.pid !== undefined);
  }

  /** @internal */
  fail(err: SpawnError, thenEnd = true): void {
    if (this.ended) return;
    // As with ChildProcess, an unheard "error" would throw; here that would take the engine down with a helper.
    if (this.listenerCount("error") > 0) this.emit("error", err);
    if (thenEnd) this.end(null, null, true);
  }

  private end(code: number | null, signal: NodeJS.Signals | null, started: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.exitCode = code;
    this.signalCode = signal;
    this.stdin?.destroy();
    this.stdout.once("close", () => this.emit("close", code, signal));
    this.stdout.push(null);
    if (started) this.emit("exit", code, signal);
    this.settle({ code, signal });
    this.owner.forget(this.id);
  }
}

/**
 * The engine's end of the spawner helper (`spawner-process.ts`): starts it on first use (and at engine
 * start, while the heap is small, see `warm`), restarts it on next use after it died, and fails the
 * children it had in flight. The idle helper keeps no process alive.
 */
export class Spawner {
  private helper: ChildProcess | null = null;
  private readonly children = new Map<number, RemoteChild>();
  private readonly pending = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private nextId = 1;

  spawn(command: string, args: string[], opts: SpawnOptions = {}): RemoteChild {
    const child = new RemoteChild(this.nextId++, this, opts.stdin ?? "ignore");
    this.children.set(child.id, child);
    this.send({ op: "spawn", id: child.id, command, args, stdin: opts.stdin ?? "ignore" });
    return child;
  }

  /** Makes a named pipe without a fork of the engine (and without blocking its loop, as spawnSync did). */
  mkfifo(path: string, mode = 0o600): Promise<void> {
    return this.request((token) => ({ op: "mkfifo", token, path, mode }));
  }

  /**
   * Starts the helper now and waits until it answers. A helper that dies while starting is not an
   * error here (the next spawn starts another); a build without the helper's file is.
   */
  async warm(): Promise<void> {
    this.start();
    await this.request((token) => ({ op: "ping", token })).catch(() => undefined);
  }

  /** Ends the helper when it runs nothing (another engine in this process may still use it otherwise). */
  stop(): void {
    if (this.children.size || this.pending.size) return;
    this.helper?.kill("SIGKILL");
  }

  /** The helper's pid, for tests and benches. */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  /** @internal */
  send(m: ToSpawner, cb?: (err?: Error | null) => void): void {
    const h = this.start();
    this.refresh();
    if (!h.connected) {
      cb?.();
      return;
    }
    // With a callback, a channel that closed under us reports there instead of as an "error" event; the
    // loss itself reaches the children through "exit", so a stdin write is not failed twice.
    h.send(m, () => cb?.());
  }

  /** @internal */
  forget(id: number): void {
    this.children.delete(id);
    this.refresh();
  }

  private request(make: (token: number) => ToSpawner): Promise<void> {
    const token = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(token, { resolve, reject });
      try {
        this.send(make(token));
      } catch (err) {
        this.pending.delete(token);
        reject(err as Error);
      }
    });
  }

  private start(): ChildProcess {
    if (this.helper) return this.helper;
    const entry = helperEntry();
    const h = fork(entry.path, [], {
      execArgv: entry.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      // In the desktop app the engine runs under Electron's binary: run it as plain Node.
      env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: "1" } : process.env,
    });
    h.on("message", (m: FromSpawner) => {
      if (m.op === "done") {
        const p = this.pending.get(m.token);
        this.pending.delete(m.token);
        if (m.error) p?.reject(new Error(m.error));
        else p?.resolve();
        this.refresh();
        return;
      }
      this.children.get(m.id)?.receive(m);
    });
    h.on("error", () => {}); // a failed send; its loss is reported through "exit" below
    h.on("exit", (code, signal) => this.lost(h, `the process spawner stopped (${signal ?? `exit code ${code}`})`));
    this.helper = h;
    return h;
  }

  private lost(h: ChildProcess, why: string): void {
    if (this.helper !== h) return;
    this.helper = null;
    for (const c of [...this.children.values()]) {
      // Its children were in process groups of their own: end them, or they would outlive their call.
      if (c.pid !== undefined) {
        try {
          process.kill(-c.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      c.fail(new SpawnError(why, "ESPAWNER"));
    }
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  /** Held while something waits on the helper (as a ChildProcess would hold us), released when idle. */
  private refresh(): void {
    const h = this.helper;
    if (!h) return;
    const channel = h.channel as unknown as { ref(): void; unref(): void } | undefined;
    if (this.children.size || this.pending.size) {
      h.ref();
      channel?.ref();
    } else {
      h.unref();
      channel?.unref();
    }
  }
}

/**
 * Where the helper's code is: beside this file when running from source (TypeScript through tsx, as
 * `npm run serve`, vitest and the benches do), or the bundled `spawner-process.js` next to the entry points.
 */
function helperEntry(): { path: string; execArgv: string[] } {
  const here = new URL(import.meta.url);
  if (here.pathname.endsWith(".ts")) {
    const tsx = pathToFileURL(
      createRequire(here)
        .resolve("tsx/esm")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    return { path: fileURLToPath(new URL("./spawner-process.ts", here)), execArgv: ["--import", tsx] };
  }
  for (const rel of ["./spawner-process.js", "../spawner-process.js", "../../spawner-process.js"]) {
    const url = new URL(rel, here);
    if (existsSync(url)) return { path: fileURLToPath(url), execArgv: [] };
  }
  throw new Error(
    `the process spawner (spawner-process.js) is missing beside ${here.pathname}: the build is incomplete`,
  );
}

export const spawner = new Spawner();
