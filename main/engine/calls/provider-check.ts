import { existsSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { createLlm, createStt, createTts, ProviderError, type ProviderContext } from "../providers/index.js";
import { withSpeechDefaults } from "../domain/speech-defaults.js";
import type { AssistantInput, SttConfigT, TtsConfigT } from "../domain/assistant.js";

export interface ProviderCheck {
  provider: string | null;
  ok: boolean;
  detail: string;
}
export interface AssistantCheck {
  ok: boolean;
  stt: ProviderCheck;
  llm: ProviderCheck;
  tts: ProviderCheck;
}

/** Whether a program can be started: an absolute path that exists, or a name found on PATH. */
function onPath(program: string): boolean {
  if (isAbsolute(program)) return existsSync(program);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, program)));
}

const message = (err: unknown) => (err instanceof ProviderError ? err.message : `${(err as Error).message}`);

/**
 * Tells a person before any call whether each provider of an assistant can work (issue #13 §12): the
 * settings and key are usable (the same construction a call does), and for the LLM, the server answers
 * and offers the model. Cloud STT/TTS are not called (that would spend the user's credit); local ones are
 * built, which checks binaries, voices and model files.
 */
export async function checkProviders(
  assistant: AssistantInput,
  ctx: ProviderContext,
  opts: { network?: boolean; timeoutMs?: number } = {},
): Promise<AssistantCheck> {
  const { network = true, timeoutMs = 5000 } = opts;
  const a = withSpeechDefaults(assistant);
  // Stored rows predate some checks: a provider that is not a string is reported as none.
  const provider = (c: { provider?: unknown } | null | undefined) =>
    typeof c?.provider === "string" ? c.provider : null;

  const speech = (kind: "stt" | "tts", config: SttConfigT | TtsConfigT | null | undefined): ProviderCheck => {
    if (config === null)
      return { provider: null, ok: true, detail: "none: the realtime model hears and speaks itself" };
    try {
      const made = kind === "stt" ? createStt(config, ctx) : createTts(config, ctx);
      if (made.program && !onPath(made.program)) {
        return {
          provider: provider(config),
          ok: false,
          detail: `needs the program '${made.program}', which is not installed (on Debian/Ubuntu: apt-get install ${made.program === "espeak-ng" ? "espeak-ng" : "pocketsphinx pocketsphinx-en-us"})`,
        };
      }
      return {
        provider: provider(config),
        ok: true,
        detail: made.local
          ? "runs on this machine and is ready"
          : "key and settings in place (not called: that would use your credit)",
      };
    } catch (err) {
      return { provider: provider(config), ok: false, detail: message(err) };
    }
  };

  const llmCheck = async (): Promise<ProviderCheck> => {
    const config = a.llm_config;
    try {
      const llm = createLlm(config, ctx);
      if (!network)
        return {
          provider: llm.provider,
          ok: true,
          detail: "key and settings in place (POST /api/v1/assistants/{id}/check asks the server)",
        };
      if (!llm.listModels) return { provider: llm.provider, ok: true, detail: "key and settings in place" };
      const models = await llm.listModels(AbortSignal.timeout(timeoutMs));
      if (!models.includes(llm.model)) {
        return {
          provider: llm.provider,
          ok: false,
          detail: `the server answers but does not offer model '${llm.model}' (it offers: ${models.slice(0, 20).join(", ") || "nothing"})`,
        };
      }
      return { provider: llm.provider, ok: true, detail: `reachable, and model '${llm.model}' is offered` };
    } catch (err) {
      return { provider: provider(config), ok: false, detail: message(err) };
    }
  };

  const [llm, stt, tts] = [await llmCheck(), speech("stt", a.stt_config), speech("tts", a.tts_config)];
  return { ok: llm.ok && stt.ok && tts.ok, stt, llm, tts };
}
