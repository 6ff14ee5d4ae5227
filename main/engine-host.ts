// Runs the engine inside Electron's utilityProcess: the window's process never touches SQLite or sockets.
// The configuration (API key and at-rest key included) arrives as the first message from the shell, not in
// the environment or on the command line, where other programs of this user could read it.
import { createEngine, DataDirBusyError, type EngineConfig } from "./engine/index.js";
import { guardUnhandledRejections } from "./engine/log/crash-guard.js";

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: "message", listener: (e: { data: unknown }) => void): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

type Message = { type: "start"; config: Partial<EngineConfig> } | { type: "stop" };

let engine: Awaited<ReturnType<typeof createEngine>> | null = null;

async function start(config: Partial<EngineConfig>): Promise<void> {
  engine = await createEngine(config);
  await engine.start();
  guardUnhandledRejections(process, engine.app.log);
  parentPort?.postMessage({ type: "ready", url: engine.url });
}

parentPort?.on("message", (e) => {
  const m = e.data as Message;
  if (m?.type === "start" && !engine) {
    start(m.config).catch((err: Error) => {
      // Another engine (`voicedock serve`) holds this data dir: the shell shows that one instead.
      if (err instanceof DataDirBusyError && err.holder?.url)
        parentPort?.postMessage({ type: "busy", url: err.holder.url, message: err.message });
      else parentPort?.postMessage({ type: "error", message: err.message });
      process.exit(1);
    });
  } else if (m?.type === "stop") {
    if (!engine) process.exit(0);
    else
      engine.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
  }
});
