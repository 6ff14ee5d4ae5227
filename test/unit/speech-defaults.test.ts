import { describe, expect, it } from "vitest";
import { adaptSpeechToModel, withSpeechDefaults } from "../../main/engine/domain/speech-defaults.js";
import { checkAssistantConfig } from "../../main/engine/assistants/rules.js";

// One rule for every way an assistant arrives (issue #13 §4). Realtime providers are refused by this
// version's support check, so the rule's realtime half is held here rather than through the API.
const TEXT = { provider: "openai", model: "gpt-4o-mini" };
const REALTIME = { provider: "xai_realtime", model: "grok-realtime-v1" };

describe("speech defaults", () => {
  it("fill what is left out by the kind of model, and keep what was given, null included", () => {
    expect(withSpeechDefaults({ llm_config: TEXT })).toMatchObject({
      stt_config: { provider: "pocketsphinx", language: "en" },
      tts_config: { provider: "local", voice_id: "flite-slt" },
    });
    expect(withSpeechDefaults({ llm_config: REALTIME })).toMatchObject({ stt_config: null, tts_config: null });
    expect(withSpeechDefaults({ llm_config: TEXT, stt_config: null }).stt_config).toBeNull();
    expect(
      withSpeechDefaults({ llm_config: TEXT, tts_config: { provider: "openai", voice_id: "alloy" } }).tts_config,
    ).toEqual({ provider: "openai", voice_id: "alloy" });
  });

  it("a change between a text and a realtime model moves the speech settings it leaves out to the new kind", () => {
    const saved = withSpeechDefaults({ llm_config: TEXT });
    expect(adaptSpeechToModel(saved, { llm_config: REALTIME })).toEqual({
      llm_config: REALTIME,
      stt_config: null,
      tts_config: null,
    });
    expect(adaptSpeechToModel(withSpeechDefaults({ llm_config: REALTIME }), { llm_config: TEXT })).toMatchObject({
      stt_config: { provider: "pocketsphinx" },
    });
    expect(adaptSpeechToModel(saved, { first_message: "Hi" })).toEqual({ first_message: "Hi" });
    expect(adaptSpeechToModel(saved, { llm_config: { ...TEXT, model: "gpt-4o" } })).toEqual({
      llm_config: { ...TEXT, model: "gpt-4o" },
    });
  });

  it("the null rule for text models is the same message wherever the assistant comes from", () => {
    expect(() => checkAssistantConfig({ llm_config: TEXT, stt_config: null }, "body")).toThrow(
      "body.stt_config is required when llm_config.provider is 'openai'",
    );
    expect(() => checkAssistantConfig({ llm_config: TEXT, stt_config: null }, "body.assistant")).toThrow(
      "body.assistant.stt_config is required when llm_config.provider is 'openai'",
    );
  });
});
