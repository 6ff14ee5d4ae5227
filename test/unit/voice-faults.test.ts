import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";
import { FALLBACK } from "../../main/engine/voice/session.js";

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

async function turn(): Promise<void> {
  await h.quiet(300);
  await h.speak(500);
  await h.quiet(1000);
}

describe("voice session: provider faults", () => {
  it("a failed model or recognizer is answered with a fallback line in the built-in voice, and the call goes on", async () => {
    h = harness({
      stt: ["Hello?", new Error("recognizer crashed"), "Still there?"],
      llm: [{ steps: [], error: new Error("HTTP 500") }, words("Yes, I am.")],
    });
    h.session.start();
    await turn();
    await h.until(() => h.fallbackTts.requests.length === 1);
    expect(h.fallbackTts.requests).toEqual([FALLBACK.llm]);
    await turn();
    await h.until(() => h.fallbackTts.requests.length === 2);
    expect(h.fallbackTts.requests[1]).toBe(FALLBACK.stt);
    expect(h.record.problems).toEqual(["Unexpected error: HTTP 500", "Unexpected error: recognizer crashed"]);
    await turn();
    await h.until(() => h.said("assistant").includes("Yes, I am."));
    expect(h.record.fails).toEqual([]);
  });

  it("three faults in a row: the goodbye line, then the call fails with the reason", async () => {
    const boom = { steps: [], error: new Error("connection refused") };
    h = harness({ stt: ["One.", "Two.", "Three."], llm: [boom, boom, boom] });
    h.session.start();
    for (let i = 0; i < 3; i++) {
      await turn();
      await h.quiet(2000);
    }
    await h.until(() => h.record.fails.length > 0);
    expect(h.fallbackTts.requests).toEqual([FALLBACK.llm, FALLBACK.llm, FALLBACK.fatal]);
    expect(h.record.fails).toEqual(["The assistant stopped after 3 provider errors in a row"]);
  });

  it("a failing voice: the sentence is said with the built-in voice instead of going silent", async () => {
    h = harness({ stt: ["Hi."], llm: [words("Hello there. How can I help?")] });
    // A stream that fails before its first chunk, as a voice service that is down does.
    const down = (): AsyncIterable<Int16Array> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("voice service down")) }),
    });
    Object.assign(h.tts, { synthesize: down });
    h.session.start();
    await turn();
    await h.until(() => h.said("assistant").length > 0);
    expect(h.fallbackTts.requests).toEqual(["Hello there.", "How can I help?"]);
    expect(h.said("assistant")).toEqual(["Hello there. How can I help?"]);
    expect(h.record.problems).toEqual(["Unexpected error: voice service down", "Unexpected error: voice service down"]);
  });
});
