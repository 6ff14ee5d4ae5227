/**
 * The spawner helper: a small Node process the engine starts once, early, and asks to run its child
 * processes (PocketSphinx, espeak-ng, mkfifo). Every spawn is a fork() of the spawning process, which
 * copies its page tables under the memory map's write lock; done here, that is this process's few MB
 * instead of the engine's heap, and the engine's media thread never waits on it (docs/decisions.md,
 * "Media thread"). It imports nothing from the engine: it must stay small.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { FromSpawner, ToSpawner } from "./protocol.js";

const children = new Map<number, ChildProcess>();

const send = (m: FromSpawner): void => {
  // The engine is gone when the channel is: nothing to tell, and the disconnect handler ends us.
  if (process.connected) process.send!(m);
};

function start(m: Extract<ToSpawner, { op: "spawn" }>): void {
  let child: ChildProcess;
  try {
    // A process group of its own: if we die, the engine can still kill it by its pid (`spawned` below).
    child = spawn(m.command, m.args, { stdio: [m.stdin, "pipe", "ignore"], detached: true });
  } catch (err) {
    // Synchronous refusals (a NUL byte in an argument, …) arrive here, not as an "error" event.
    send({ op: "error", id: m.id, code: (err as NodeJS.ErrnoException).code, message: (err as Error).message });
    send({ op: "exit", id: m.id, code: null, signal: null });
    return;
  }
  children.set(m.id, child);
  if (child.pid !== undefined) send({ op: "spawned", id: m.id, pid: child.pid });
  child.stdout!.on("data", (data: Buffer) => send({ op: "stdout", id: m.id, data }));
  // A child that exits without reading its input would make our writes fail with EPIPE: not our error.
  child.stdin?.on("error", () => {});
  child.on("error", (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined) send({ op: "error", id: m.id, code: err.code, message: err.message });
  });
  // "close" comes after stdout has ended, so the engine has every byte before it hears of the exit.
  child.on("close", (code, signal) => {
    children.delete(m.id);
    send({ op: "exit", id: m.id, code, signal });
  });
}

function mkfifo(m: Extract<ToSpawner, { op: "mkfifo" }>): void {
  const child = spawn("mkfifo", ["-m", m.mode.toString(8), "--", m.path], { stdio: "ignore" });
  let answered = false;
  const answer = (error?: string) => {
    if (!answered) {
      answered = true;
      send({ op: "done", token: m.token, error });
    }
  };
  child.on("error", (err) => answer(err.message));
  child.on("close", (code) => answer(code === 0 ? undefined : `mkfifo exited with code ${code}`));
}

process.on("message", (m: ToSpawner) => {
  switch (m.op) {
    case "spawn":
      start(m);
      break;
    case "stdin":
      children.get(m.id)?.stdin?.write(m.data);
      break;
    case "stdinEnd":
      children.get(m.id)?.stdin?.end();
      break;
    case "kill":
      children.get(m.id)?.kill(m.signal);
      break;
    case "mkfifo":
      mkfifo(m);
      break;
    case "ping":
      send({ op: "done", token: m.token });
      break;
  }
});

// Ctrl-C in a terminal signals the whole process group: the engine then winds its calls down and may
// still need us meanwhile; we leave when it does (below).
process.on("SIGINT", () => {});

// The engine stopped or died (its end of the channel closed): our children go with us, none is orphaned.
process.on("disconnect", () => {
  for (const c of children.values()) c.kill("SIGKILL");
  process.exit(0);
});
