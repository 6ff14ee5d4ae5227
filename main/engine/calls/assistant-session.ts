import type { Store } from "../store/index.js";
import type { ResolvedAssistant } from "../domain/assistant.js";
import type { CallLeg } from "./control.js";
import type { ChatMessage } from "../providers/llm/types.js";
import { createLlm, createStt, createTts, ProviderError, type ProviderContext } from "../providers/index.js";
import "../providers/register.js";
import { FliteTts } from "../providers/tts/flite.js";
import { VoiceSession, type PipelineHost } from "../voice/session.js";
import { voiceAssistant } from "../voice/assistant-config.js";
import { resample } from "../media/resample.js";
import { DEFAULT_STT_CONFIG, DEFAULT_TTS_CONFIG } from "../domain/speech-defaults.js";

const MISCONFIGURED_LINE = "I'm sorry, this line is not set up correctly yet. Please try again later. Goodbye.";

/** Keys for providers, straight from the sealed BYOK table; nothing else of the store is exposed. */
export const providerContext = (store: Store, modelsDir: string): ProviderContext => ({
  keys: { apiKey: (p) => store.byok.apiKey(p), config: (p) => store.byok.configs()[p] ?? {} },
  modelsDir,
});

/**
 * Where a session picks up a call it did not start: after a person hands it back, with the conversation
 * so far (the hand-back summary last) and no greeting; `answerNow` when the caller's words are unanswered.
 */
export interface Resume {
  history: ChatMessage[];
  answerNow: boolean;
}

export type AssistantStart =
  | { ok: true; session: VoiceSession }
  /** The assistant cannot run (no key, unknown provider): why, for the call's error. */
  | { ok: false; problem: string };

/**
 * Builds the providers of a call's resolved assistant and starts a voice session on the leg's audio;
 * `host` is how the pipeline acts on the call. A call whose assistant cannot run says so to the caller.
 * With `resume` it goes on from an earlier conversation instead of greeting.
 */
export function launchAssistant(
  config: ResolvedAssistant,
  direction: "inbound" | "outbound" | "web",
  leg: CallLeg,
  ctx: ProviderContext,
  host: PipelineHost,
  resume?: Resume,
): AssistantStart {
  let providers;
  try {
    providers = {
      stt: createStt(config.stt_config ?? DEFAULT_STT_CONFIG, ctx),
      llm: createLlm(config.llm_config, ctx),
      tts: createTts(config.tts_config ?? DEFAULT_TTS_CONFIG, ctx),
    };
  } catch (err) {
    return { ok: false, problem: err instanceof ProviderError ? err.message : (err as Error).message };
  }
  const assistant = voiceAssistant(config, direction);
  const session = new VoiceSession({
    audio: leg.audio,
    ...providers,
    fallbackTts: new FliteTts("flite-kal"),
    assistant: resume ? { ...assistant, firstMessage: null, earlier: resume.history } : assistant,
    host,
  });
  session.start();
  if (resume?.answerNow) session.respondNow();
  return { ok: true, session };
}

/** The line a caller hears when the assistant cannot run. */
export const MISCONFIGURED = MISCONFIGURED_LINE;

/**
 * Says one line with a built-in voice and resolves once it has been played (or after 20 s): refusals
 * and calls whose assistant cannot run. Never throws; ending the call is what matters after it.
 */
export async function speakLine(
  leg: CallLeg,
  voice: "flite-slt" | "flite-kal",
  text: string,
  queued: () => void,
): Promise<boolean> {
  try {
    const tts = new FliteTts(voice);
    let end = leg.audio.playedSamples;
    for await (const pcm of tts.synthesize({ text, signal: AbortSignal.timeout(5000) })) {
      const out = await resample(pcm, tts.sampleRateHz, 8000);
      leg.audio.play(out);
      end += out.length;
    }
    queued();
    await Promise.race([leg.audio.whenPlayed(end), new Promise((r) => setTimeout(r, 20_000))]);
    return true;
  } catch {
    return false;
  }
}
