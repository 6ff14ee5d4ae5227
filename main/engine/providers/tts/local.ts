import { registerTts } from "../index.js";
import { ProviderError } from "../errors.js";
import { FLITE_VOICES, FliteTts } from "./flite.js";
import { EspeakTts } from "./espeak.js";

/** `provider: "local"`: the voice id says which engine on this machine speaks (GET /voices lists them). */
registerTts("local", (config) => {
  const voiceId = String(config.voice_id ?? "");
  if (FLITE_VOICES[voiceId]) return new FliteTts(voiceId);
  if (voiceId.startsWith("espeak-")) return new EspeakTts(voiceId);
  throw new ProviderError(
    "local",
    "config",
    `Local voice '${voiceId}' is not available in this build: pick one from GET /api/v1/voices (Flite voices flite-kal, flite-slt, flite-rms work without a download)`,
  );
});
