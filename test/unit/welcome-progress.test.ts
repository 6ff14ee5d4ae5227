import { describe, expect, it } from "vitest";
import {
  PROGRESS_STORAGE,
  landingPath,
  loadProgress,
  markSkipped,
  nextStep,
  previousStep,
  saveProgress,
} from "../../renderer/src/components/welcome/progress";
import { assistantBody, draftOf, modelsFor } from "../../renderer/src/components/welcome/assistant-draft";
import { toE164 } from "../../renderer/src/components/welcome/phone";
import type { AssistantTemplate } from "../../renderer/src/api/welcome-types";

/** A Storage stand-in over a Map: what the wizard reads and writes is a string per key, nothing more. */
function memoryStorage(initial: Record<string, string> = {}) {
  const m = new Map(Object.entries(initial));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe("first-run wizard progress", () => {
  it("starts at the trunk with nothing skipped, and reads back what it saved", () => {
    const s = memoryStorage();
    const p = loadProgress(s);
    expect(p).toEqual({ step: "trunk", skipped: [], finished: false });
    saveProgress(s, { ...p, step: "assistant", skipped: ["trunk"], number_id: "n1" });
    expect(loadProgress(s)).toMatchObject({ step: "assistant", skipped: ["trunk"], number_id: "n1", finished: false });
  });

  it("starts afresh from anything it cannot read, and drops unknown steps", () => {
    expect(loadProgress(memoryStorage({ [PROGRESS_STORAGE]: "{not json" })).step).toBe("trunk");
    expect(loadProgress(memoryStorage({ [PROGRESS_STORAGE]: "42" })).step).toBe("trunk");
    const odd = loadProgress(
      memoryStorage({ [PROGRESS_STORAGE]: JSON.stringify({ step: "billing", skipped: ["call", "x", "call"] }) }),
    );
    expect(odd).toMatchObject({ step: "trunk", skipped: ["call"] });
  });

  it("walks the four steps in order; a skip is marked and cleared by doing the step", () => {
    expect([nextStep("trunk"), nextStep("number"), nextStep("assistant"), nextStep("call")]).toEqual([
      "number",
      "assistant",
      "call",
      null,
    ]);
    expect(previousStep("trunk")).toBeNull();
    expect(previousStep("call")).toBe("assistant");
    const p = loadProgress(memoryStorage());
    p.skipped = markSkipped(p, "trunk", true);
    p.skipped = markSkipped(p, "number", true);
    expect(p.skipped).toEqual(["trunk", "number"]);
    expect(markSkipped(p, "trunk", false)).toEqual(["number"]);
  });

  it("opens the wizard after sign-in only on an engine with nothing set up, and never once finished", () => {
    const p = loadProgress(memoryStorage());
    expect(landingPath(p, { trunks: 0, numbers: 0 })).toBe("/welcome");
    expect(landingPath(p, { trunks: 1, numbers: 0 })).toBe("/calls");
    expect(landingPath(p, { trunks: 0, numbers: 2 })).toBe("/calls");
    expect(landingPath({ ...p, finished: true }, { trunks: 0, numbers: 0 })).toBe("/calls");
  });
});

describe("an assistant from a template", () => {
  const tpl: AssistantTemplate = {
    id: "receptionist-en",
    name: "Receptionist",
    description: "Answers the phone",
    language: "en",
    required_models: ["whisper-base.en"],
    assistant: {
      name: "Receptionist",
      first_message: "Hello",
      llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: "http://127.0.0.1:11434/v1" },
      stt_config: { provider: "whisper", model: "base.en", language: "en" },
      max_duration_seconds: 600,
    },
  };

  it("keeps everything of the template but what the person changed", () => {
    const d = {
      ...draftOf(tpl),
      name: " Front desk ",
      llm_base_url: "http://127.0.0.1:9999/v1",
      recording_enabled: true,
    };
    const body = assistantBody(tpl, d);
    expect(body).toMatchObject({
      name: "Front desk",
      first_message: "Hello",
      recording_enabled: true,
      max_duration_seconds: 600,
      llm_config: { provider: "openai_compatible", model: "llama3.2", base_url: "http://127.0.0.1:9999/v1" },
      stt_config: { provider: "whisper", model: "base.en" },
    });
    expect(modelsFor(tpl, d.recognizer)).toEqual(["whisper-base.en"]);
  });

  it("with PocketSphinx instead, hears in English with nothing to download", () => {
    const d = { ...draftOf(tpl), recognizer: "pocketsphinx" as const };
    expect(assistantBody(tpl, d).stt_config).toEqual({ provider: "pocketsphinx", language: "en" });
    expect(modelsFor(tpl, d.recognizer)).toEqual([]);
  });
});

describe("the phone number a person types", () => {
  it("becomes E.164, or null when it is not one", () => {
    expect(toE164("+31 6-1234 5678")).toBe("+31612345678");
    expect(toE164("(+31) 85 083 5037")).toBe("+31850835037");
    expect(toE164("0612345678")).toBeNull();
    expect(toE164("+0612345678")).toBeNull();
  });
});
