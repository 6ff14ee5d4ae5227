import type { Model } from "../../api/types";

/** What the Models page shows for a model, in the order a person would act on it. */
export type ModelState =
  | "builtin"
  | "verified"
  | "unverified"
  | "downloading"
  | "verifying"
  | "paused"
  | "checksum_mismatch"
  | "failed"
  | "not_installed";

export function modelState(m: Model): ModelState {
  if (m.builtin) return "builtin";
  const d = m.download;
  if (d?.state === "downloading") return "downloading";
  if (d?.state === "verifying") return "verifying";
  if (m.installed) return m.sha256 ? "verified" : "unverified";
  // The engine deletes a file whose sha256 differs and says so in `error`; no separate reason code exists.
  if (d?.state === "failed") return /sha256/i.test(d.error ?? "") ? "checksum_mismatch" : "failed";
  if (m.partial_bytes > 0) return "paused";
  return "not_installed";
}

/** Percent done, or null while the size is unknown (the bar then shows as indeterminate). */
export function percentDone(m: Model): number | null {
  const d = m.download;
  const total = d?.total_bytes ?? m.size_bytes;
  const received = d && (d.state === "downloading" || d.state === "verifying") ? d.received_bytes : m.partial_bytes;
  if (!total) return null;
  return Math.min(100, Math.floor((received / total) * 100));
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}`;
}

/** Which assistants need a model: Whisper models by the STT model name, the VAD by every call. */
export function usedBy(
  m: Model,
  assistants: { name: string; stt_config?: { provider?: string; model?: string } | null }[],
): string[] {
  if (m.kind === "vad") return assistants.map((a) => a.name);
  if (!m.id.startsWith("whisper-")) return [];
  return (
    assistants
      // The engine's whisper provider uses base.en when no model is named.
      .filter((a) => a.stt_config?.provider === "whisper" && `whisper-${a.stt_config.model || "base.en"}` === m.id)
      .map((a) => a.name)
  );
}
