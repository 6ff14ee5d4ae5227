import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SilenceTrimmer } from "../../main/engine/voice/trim.js";
import { SentenceChunker } from "../../main/engine/voice/sentences.js";
import { turnEnd } from "../../main/engine/voice/endpointing.js";
import { harness, type Harness } from "./voice-harness.js";
import { words } from "../../main/engine/providers/fake/index.js";

const tone = (ms: number) => Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(6000 * Math.sin(i / 3)));
const silence = (ms: number) => new Int16Array(ms * 8);
const join = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe("TTS silence trimming", () => {
  it("drops the leading silence but a 10 ms lead-in, keeps pauses inside, cuts the end to 120 ms", () => {
    const t = new SilenceTrimmer();
    const first = t.push(join(silence(220), tone(100), silence(300)));
    expect(first.length).toBe(8 * (10 + 100));
    // More speech follows: the held silence comes back before it, whole.
    const second = t.push(join(tone(50), silence(400)));
    expect(second.length).toBe(8 * (300 + 50));
    expect(t.flush().length).toBe(8 * 120);
  });

  it("holds back chunks that are all silence, and plays nothing for a sentence that has no sound", () => {
    const t = new SilenceTrimmer();
    expect(t.push(silence(100)).length).toBe(0);
    expect(t.push(silence(100)).length).toBe(0);
    expect(t.flush().length).toBe(0);
  });
});

describe("first clause", () => {
  it("cuts the first piece of a reply at a clause of two words or more, later ones at sentences", () => {
    const c = new SentenceChunker(2);
    expect(c.push("That sounds right to me, and I have ")).toEqual(["That sounds right to me,"]);
    expect(c.push("written it down, thanks. Bye")).toEqual(["and I have written it down, thanks."]);
    expect(c.flush()).toBe("Bye");
    // "Okay," alone is too short to say on its own; "1,000" is a number, not a clause.
    expect(new SentenceChunker(2).push("Okay, noted. ")).toEqual(["Okay, noted."]);
    expect(new SentenceChunker(2).push("About 1,000 people came. ")).toEqual(["About 1,000 people came."]);
  });
});

describe("turn end from the recognizer's text", () => {
  it("reads punctuation, confidence and the last word", () => {
    expect(turnEnd("What time do you open?")).toBe("finished");
    expect(turnEnd("what time do you open")).toBe("unknown");
    expect(turnEnd("what time do you open", 0.9)).toBe("finished");
    expect(turnEnd("what time do you open", 0.5)).toBe("unknown");
    expect(turnEnd("I need a plumber and")).toBe("unfinished");
    expect(turnEnd("so um")).toBe("unfinished");
    expect(turnEnd("It's for the", 0.99)).toBe("unfinished");
    expect(turnEnd("Well,")).toBe("unfinished");
    expect(turnEnd("I think so.")).toBe("finished");
  });
});

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  h?.close();
  vi.useRealTimers();
});

describe("voice session: first clause", () => {
  it("starts synthesis on the first clause while the model is still writing the sentence", async () => {
    h = harness({
      stt: ["Can I book for Tuesday?"],
      llm: [words("Tuesday works for us, and I have booked you in.", { firstTokenMs: 20, stepMs: 40 })],
    });
    h.session.start();
    await h.quiet(400);
    await h.speak(600);
    await h.until(() => h.said("assistant").length > 0);
    expect(h.tts.requests).toEqual(["Tuesday works for us,", "and I have booked you in."]);
  });
});
