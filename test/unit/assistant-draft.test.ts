import { describe, expect, it } from "vitest";
import {
  duplicateBody,
  editableCopy,
  numberOrEmpty,
  prune,
  setSystemPrompt,
  sttModelAvailability,
  systemPrompt,
  type ModelState,
  toPatch,
  withSections,
} from "../../renderer/src/components/assistants/draft.js";
import type { Assistant } from "../../renderer/src/api/assistant-types.js";

const saved: Assistant = {
  id: "7d1c6c8e-1c1a-4c55-9d7e-0b5b3b8f2a11",
  created_at: "2026-12-04T01:00:00.000Z",
  updated_at: "2026-12-04T01:00:00.000Z",
  name: "Front desk",
  webhook_url: "https://hooks.example.com/x",
  webhook_secret: "********",
  llm_config: {
    provider: "openai_compatible",
    model: "llama3.2",
    messages: [{ role: "system", content: "Be brief." }],
  },
  stt_config: { provider: "whisper", model: "base.en" },
  tts_config: { provider: "local", voice_id: "flite-slt" },
  speech_config: null,
  analysis_plan: null,
};

const model = (id: string, installed: boolean, state?: "downloading"): ModelState => ({
  id,
  installed,
  download: state ? { state } : null,
});

describe("assistant editor draft (renderer/src/components/assistants/draft.ts)", () => {
  it("an untouched draft saves back exactly what was loaded, without server fields or the masked secret", () => {
    const body = toPatch(withSections(editableCopy(saved)), { mode: "keep" });
    expect(body).not.toHaveProperty("id");
    expect(body).not.toHaveProperty("created_at");
    expect(body).not.toHaveProperty("webhook_secret");
    expect(body.speech_config).toBeNull();
    expect(body.analysis_plan).toBeNull();
    expect(body.llm_config).toEqual(saved.llm_config);
  });

  it("sends the secret only when it is set or cleared", () => {
    const d = editableCopy(saved);
    expect(toPatch(d, { mode: "set", value: "abc" }).webhook_secret).toBe("abc");
    expect(toPatch(d, { mode: "clear" }).webhook_secret).toBeNull();
  });

  it("keeps the parts of speech_config that were filled in and drops the empty ones", () => {
    const d = withSections(editableCopy(saved));
    d.speech_config!.turn_taking!.endpointing_min_delay = 0.7;
    expect(prune(d).speech_config).toEqual({ turn_taking: { endpointing_min_delay: 0.7 } });
  });

  it("reads and writes the system prompt as the first system message", () => {
    const d = editableCopy(saved);
    expect(systemPrompt(d)).toBe("Be brief.");
    setSystemPrompt(d, "Be kind.");
    expect(d.llm_config!.messages).toEqual([{ role: "system", content: "Be kind." }]);
    d.llm_config!.messages = [{ role: "user", content: "hi" }];
    setSystemPrompt(d, "New.");
    expect(d.llm_config!.messages[0]).toEqual({ role: "system", content: "New." });
    setSystemPrompt(d, "");
    expect(d.llm_config!.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("a duplicate has a new name and no secret, and does not share objects with the original", () => {
    const copy = duplicateBody(saved, "Front desk (copy)");
    expect(copy.name).toBe("Front desk (copy)");
    expect(copy).not.toHaveProperty("webhook_secret");
    copy.llm_config!.model = "other";
    expect(saved.llm_config!.model).toBe("llama3.2");
  });

  it("number fields: empty means the default, junk is not a number", () => {
    expect(numberOrEmpty("")).toBe("");
    expect(numberOrEmpty(" 0.5 ")).toBe(0.5);
    expect(numberOrEmpty("abc")).toBe("");
  });

  it("says whether the Whisper model a choice needs is downloaded", () => {
    const models = [
      model("whisper-base.en", true),
      model("whisper-small", false),
      model("whisper-tiny.en", false, "downloading"),
    ];
    expect(sttModelAvailability({ provider: "whisper", model: "base.en" }, models)).toEqual({
      state: "installed",
      modelId: "whisper-base.en",
    });
    expect(sttModelAvailability({ provider: "whisper", model: "small" }, models).state).toBe("missing");
    expect(sttModelAvailability({ provider: "whisper", model: "tiny.en" }, models).state).toBe("downloading");
    // No model named: the engine's default, base.en.
    expect(sttModelAvailability({ provider: "whisper" }, models).state).toBe("installed");
    expect(sttModelAvailability({ provider: "pocketsphinx" }, models).state).toBe("none_needed");
    expect(sttModelAvailability({ provider: "whisper", model: "large" }, models)).toEqual({
      state: "missing",
      modelId: null,
    });
  });
});
