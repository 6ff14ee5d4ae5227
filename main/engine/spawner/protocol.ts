/**
 * Messages between the engine and the spawner helper (`spawner-process.ts`), over the IPC channel of
 * `child_process.fork` with `serialization: "advanced"`: Buffers cross as bytes, not JSON arrays.
 * `id` names one child process for its whole life; `token` one request/answer pair.
 */
export type ToSpawner =
  | { op: "spawn"; id: number; command: string; args: string[]; stdin: "pipe" | "ignore" }
  | { op: "stdin"; id: number; data: Uint8Array }
  | { op: "stdinEnd"; id: number }
  | { op: "kill"; id: number; signal: NodeJS.Signals }
  | { op: "mkfifo"; token: number; path: string; mode: number }
  | { op: "ping"; token: number };

export type FromSpawner =
  /** Started; the engine keeps the pid to kill the child itself should the helper die first. */
  | { op: "spawned"; id: number; pid: number }
  | { op: "stdout"; id: number; data: Uint8Array }
  /** The command could not be started (`code` as Node's spawn reports it, e.g. ENOENT). */
  | { op: "error"; id: number; code: string | undefined; message: string }
  /** Sent after the child's stdout has ended and it has exited: no stdout message for `id` follows. */
  | { op: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { op: "done"; token: number; error?: string };
