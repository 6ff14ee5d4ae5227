// Runs the engine inside Electron's utilityProcess: the window's process never touches SQLite or sockets.
import { createEngine } from "./engine/index.js";

interface ParentPort { postMessage(message: unknown): void; on(event: "message", listener: (e: { data: unknown }) => void): void }
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

async function main(): Promise<void> {
  const config = JSON.parse(process.env.VOICEDOCK_ENGINE_CONFIG ?? "{}");
  const engine = await createEngine(config);
  await engine.start();
  parentPort?.postMessage({ type: "ready", url: engine.url, apiKey: engine.generatedApiKey ?? config.apiKey ?? null });
  parentPort?.on("message", (e) => {
    if ((e.data as { type?: string })?.type === "stop") engine.stop().then(() => process.exit(0), () => process.exit(1));
  });
}

main().catch((err: Error) => {
  parentPort?.postMessage({ type: "error", message: err.message });
  process.exit(1);
});
