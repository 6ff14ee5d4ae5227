import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The shipped model: resources/silero_vad.onnx (MIT). Found relative to this file both from source
 * (main/engine/voice/vad-thread) and from the bundle (out/main), or through VOICEDOCK_RESOURCES.
 */
export function sileroModelPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.VOICEDOCK_RESOURCES,
    join(here, "../../../../resources"),
    join(here, "../../../resources"),
    join(here, "../../resources"),
    join(process.cwd(), "resources"),
  ]
    .filter((d): d is string => Boolean(d))
    .map((d) => join(d, "silero_vad.onnx"))
    // In the packaged app the model is unpacked beside the asar archive (electron-builder.yml): onnxruntime
    // opens files itself and cannot read inside the archive, which only Electron's patched fs can.
    .map((p) => p.replace(/app\.asar(?=[\\/])/, "app.asar.unpacked"));
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `The voice activity model silero_vad.onnx is missing (looked in ${candidates.join(", ")}): reinstall VoiceDock`,
    );
  return found;
}
