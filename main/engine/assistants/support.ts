import "../providers/register.js";
import { supportedProviders } from "../providers/index.js";
import { FLITE_VOICES } from "../providers/tts/flite.js";

/**
 * What this build can actually run (issue #13 §14). The schema knows every documented provider and field;
 * an assistant that names one this build does not implement is refused when it is saved or sent, rather
 * than accepted and failing on the first call. Returns why, or null.
 */
export function unsupportedProblem(a: Record<string, unknown>, where: string): string | null {
  const supported = supportedProviders();
  const NOT = "is not supported in this version";
  const provider = (c: unknown) =>
    c && typeof c === "object" && typeof (c as { provider?: unknown }).provider === "string"
      ? (c as { provider: string }).provider
      : null;
  for (const [field, kind] of [
    ["llm_config", "llm"],
    ["stt_config", "stt"],
    ["tts_config", "tts"],
  ] as const) {
    const p = provider(a[field]);
    if (p && !supported[kind].includes(p))
      return `${where}.${field}.provider '${p}' ${NOT} (supported: ${[...supported[kind]].sort().join(", ")})`;
  }
  const tts = a.tts_config as { provider?: string; voice_id?: unknown } | null | undefined;
  if (
    tts?.provider === "local" &&
    typeof tts.voice_id === "string" &&
    !FLITE_VOICES[tts.voice_id] &&
    !tts.voice_id.startsWith("espeak-")
  ) {
    return `${where}.tts_config.voice_id '${tts.voice_id}' ${NOT}: local voices are ${Object.keys(FLITE_VOICES).join(", ")} and espeak-* (GET /api/v1/voices)`;
  }
  // Stored but never acted on: refusing them is honest; recording consent in particular must not be assumed.
  if (a.gdpr_mode === true) return `${where}.gdpr_mode ${NOT}: send false or leave it out`;
  if ((a.recording_consent as { enabled?: unknown } | null | undefined)?.enabled === true) {
    return `${where}.recording_consent ${NOT}: no consent line is played, so calls of an assistant that needs one must not be recorded; leave it out and keep recording_enabled false`;
  }
  if (
    (a.speech_config as { background_audio?: { enabled?: unknown } } | null | undefined)?.background_audio?.enabled ===
    true
  ) {
    return `${where}.speech_config.background_audio ${NOT}: leave it out or set enabled to false`;
  }
  const sdp = (a.analysis_plan as { structured_data_plan?: { template_id?: unknown } } | null | undefined)
    ?.structured_data_plan;
  if (sdp?.template_id !== undefined && sdp.template_id !== null) {
    return `${where}.analysis_plan.structured_data_plan.template_id ${NOT}: put the template's schema and messages in the plan itself`;
  }
  return null;
}
