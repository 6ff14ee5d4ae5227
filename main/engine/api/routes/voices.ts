import { Type } from "@sinclair/typebox";
import { spawnSync } from "node:child_process";
import type { ApiRoutes } from "../context.js";
import { errorResponses, Nullable } from "../schemas/common.js";
import { LOCAL_VOICES, type VoiceEntry } from "../catalogue.js";

const Voice = Type.Object({
  id: Type.String(),
  name: Type.String(),
  language: Type.String(),
  description: Type.Object({ en: Type.String() }),
  engine: Type.String(),
  local: Type.Boolean(),
  sample_rate_hz: Nullable(Type.Integer()),
  installed: Type.Boolean(),
  style: Type.Optional(Type.String()),
});

let espeakVoices: VoiceEntry[] | null = null;
/** espeak-ng runs as a separate program (GPL, never linked): offered only when it is installed. */
function espeak(): VoiceEntry[] {
  if (espeakVoices) return espeakVoices;
  const r = spawnSync("espeak-ng", ["--voices"], { encoding: "utf8", timeout: 3000 });
  espeakVoices =
    r.status !== 0
      ? []
      : r.stdout
          .split("\n")
          .slice(1)
          .map((line) => line.trim().split(/\s+/))
          .filter((c) => c.length >= 4)
          .map(([, lang, , name]) => ({
            id: `espeak-${lang}`,
            name,
            language: lang,
            description: { en: `espeak-ng ${name} (${lang})` },
            engine: "espeak-ng" as const,
            local: true,
            sample_rate_hz: 22050,
            installed: true,
          }));
  return espeakVoices;
}

export const voiceRoutes: ApiRoutes = async (app) => {
  app.get(
    "/voices",
    {
      schema: {
        tags: ["voices"],
        summary: "Voices for tts_config.voice_id with provider `local`: Flite built in, espeak-ng when installed",
        response: { 200: Type.Object({ voices: Type.Array(Voice) }), ...errorResponses },
      },
    },
    async () => ({ voices: [...LOCAL_VOICES, ...espeak()] }),
  );
};
