import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { onTestFinished } from "vitest";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "voicedock.js");

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `voicedock serve` as a real child process and waits for its "ready" line. Called inside a test: a
 * server the test has not stopped by its end (it failed part way) is killed then, not left running.
 */
export async function spawnServe(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<ServeProcess> {
  // SIP on a free port: parallel tests must not fight over 5060.
  const proc = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd: ROOT,
    env: { ...process.env, VOICEDOCK_SIP_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  proc.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`voicedock serve did not get ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const check = () => {
      const m = /console: (http:\/\/\S+?)\/\s/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on("data", check);
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`voicedock serve exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { proc, url, output: () => out, exited };
}

/** Runs a short CLI command to completion. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
