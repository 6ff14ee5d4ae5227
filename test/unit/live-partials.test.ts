import { afterEach, describe, expect, it, vi } from "vitest";
import { StreamSegments } from "../../main/engine/providers/stt/stream-segments.js";
import { PartialLines, type PartialLine } from "../../main/engine/calls/partial-lines.js";
import { words } from "../../main/engine/providers/fake/index.js";
import { harness, type Harness } from "./voice-harness.js";

const RATE = 16000;
const FRAME = 320;

function speak(s: StreamSegments, t: number, ms: number): number {
  for (let at = t; at < t + ms; at += 20) s.wrote(FRAME, at);
  return t + ms;
}

describe("partial text of the turn in progress (issue #16: a live transcript whose partials update in place)", () => {
  it("PocketSphinx's segments: each one of the open turn gives the turn so far; a late segment of a taken turn does not", async () => {
    const partials: string[] = [];
    const s = new StreamSegments(RATE, (t) => partials.push(t));
    const end1 = speak(s, 0, 1500);
    s.add({ text: "i would like", start: 0, end: 0.7 * RATE }); // a short pause closed a segment mid-turn
    s.add({ text: "", start: 0.8 * RATE, end: 0.9 * RATE }); // an empty hypothesis shows nothing
    s.add({ text: "to book a table", start: 0.9 * RATE, end: 1.3 * RATE });
    expect(partials).toEqual(["i would like", "i would like to book a table"]);
    // The turn is taken; its last segment comes late: the turn's text, not the next turn's partial.
    const first = s.take(0, end1, 5000);
    s.wrote(0.7 * RATE, end1 + 10);
    s.add({ text: "for two", start: 1.35 * RATE, end: 1.5 * RATE });
    expect((await first).text).toBe("i would like to book a table for two");
    expect(partials).toHaveLength(2);
    // The next turn's partials start from nothing.
    speak(s, end1 + 1000, 800);
    s.add({ text: "at seven", start: 2.3 * RATE, end: 2.9 * RATE });
    expect(partials.at(-1)).toBe("at seven");
  });

  describe("per call: numbered against the final lines, at most one event per 200 ms", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("sends the newest text of a line at most every 200 ms, replaces what waits, and a final line drops its waiting partial", async () => {
      vi.useFakeTimers({ now: 0 });
      const sent: (PartialLine & { at: number })[] = [];
      const p = new PartialLines(
        (l) => sent.push({ ...l, at: Date.now() }),
        200,
        () => Date.now(),
      );
      p.update("caller", "I");
      p.update("caller", "I would");
      p.update("caller", "I would like");
      await vi.advanceTimersByTimeAsync(100);
      p.update("caller", "I would like to");
      await vi.advanceTimersByTimeAsync(100);
      expect(sent).toEqual([
        { role: "user", text: "I", turn: 1, at: 0 },
        { role: "user", text: "I would like to", turn: 1, at: 200 },
      ]);
      // 30 updates in one second: five events, the last one the newest text.
      for (let i = 1; i <= 30; i++) {
        p.update("caller", `I would like to ${"x ".repeat(i).trim()}`);
        await vi.advanceTimersByTimeAsync(1000 / 30);
      }
      const inSecond = sent.filter((s) => s.at > 200 && s.at <= 1200);
      expect(inSecond.length).toBeLessThanOrEqual(5);
      await vi.advanceTimersByTimeAsync(200);
      expect(sent.at(-1)!.text).toBe(`I would like to ${"x ".repeat(30).trim()}`);
      // Same text again: nothing sent.
      const n = sent.length;
      p.update("caller", sent.at(-1)!.text);
      await vi.advanceTimersByTimeAsync(400);
      expect(sent).toHaveLength(n);

      // The slot is free: sent at once; the next change waits for its slot, and the line becomes final
      // first: that stale partial is never sent.
      p.update("caller", "I would like to book");
      expect(sent).toHaveLength(n + 1);
      p.update("caller", "I would like to book a table");
      expect(p.final("caller")).toBe(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent).toHaveLength(n + 1);
      // The next line's partials carry the next number; a person's lines have their own count.
      p.update("caller", "for two");
      p.update("person", "Let me check");
      await vi.advanceTimersByTimeAsync(400);
      expect(sent.slice(n + 1).map(({ at: _at, ...l }) => l)).toEqual([
        { role: "user", text: "for two", turn: 2 },
        { role: "assistant", speaker: "operator", text: "Let me check", turn: 1 },
      ]);
      expect(sent.at(-1)!.at - sent.at(-2)!.at).toBeGreaterThanOrEqual(200);
      // Taken back: an empty text, once; nothing to take back sends nothing.
      p.clear("caller");
      p.clear("caller");
      await vi.advanceTimersByTimeAsync(400);
      expect(sent.slice(n + 3).map((l) => [l.role, l.text, l.turn])).toEqual([["user", "", 2]]);
      p.close();
    });
  });

  describe("voice session", () => {
    let h: Harness;
    afterEach(() => {
      h?.close();
      vi.useRealTimers();
    });

    it("shows the turn so far while the caller speaks, and the stored line is the recognizer's final text, not a partial", async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      h = harness({
        streaming: true,
        stt: ["I'd like to", "book a table for two."],
        llm: [words("For when?", { firstTokenMs: 20 })],
      });
      const stt = h.stt as unknown as { partial(t: string): void };
      h.session.start();
      await h.quiet(400);
      await h.speak(300);
      stt.partial("I'd");
      await h.speak(300);
      stt.partial("I'd like too"); // an interim the final text will correct
      await h.quiet(700); // the dangling "to" holds the turn open
      await h.speak(400);
      stt.partial("book a");
      await h.speak(400);
      await h.until(() => h.said("assistant").length > 0);
      const texts = h.record.partials.map((p) => p.text);
      expect(texts).toEqual([
        "I'd",
        "I'd like too",
        "I'd like to", // the first stretch recognized: its final words replace the interim
        "I'd like to book a",
        "I'd like to book a table for two.",
      ]);
      expect(h.said("user")).toEqual(["I'd like to book a table for two."]);
      // Every partial came before the line it led to.
      const line = h.record.messages.find((m) => m.role === "user")!;
      expect(Math.max(...h.record.partials.map((p) => p.at))).toBeLessThanOrEqual(line.at);
    });

    it("the next stretch's partial waits for the words still being recognized, so the turn so far never loses them", async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      h = harness({
        streaming: true,
        sttDelayMs: 300,
        stt: ["I'd like to", "book a table for two."],
        llm: [words("For when?", { firstTokenMs: 20 })],
      });
      const stt = h.stt as unknown as { partial(t: string): void };
      h.session.start();
      await h.quiet(400);
      await h.speak(600);
      await h.quiet(140); // a short pause: the first stretch goes to the recognizer (300 ms)
      await h.speak(100);
      stt.partial("book a"); // the recognizer already has words of the second stretch
      await h.speak(500);
      await h.until(() => h.said("assistant").length > 0);
      expect(h.record.partials.map((p) => p.text)).toEqual(["I'd like to book a", "I'd like to book a table for two."]);
      expect(h.said("user")).toEqual(["I'd like to book a table for two."]);
    });

    it("takes a partial back when the speech made no words, and a batch recognizer shows a stretch only once it is recognized", async () => {
      vi.useFakeTimers({ now: 1_000_000 });
      h = harness({ streaming: true, stt: [""] });
      const stt = h.stt as unknown as { partial(t: string): void };
      h.session.start();
      await h.quiet(400);
      await h.speak(300);
      stt.partial("hm");
      await h.quiet(1500);
      expect(h.record.partials.map((p) => p.text)).toEqual(["hm", ""]);
      expect(h.said("user")).toEqual([]);
      h.close();

      h = harness({ stt: ["what time do you open"], llm: [words("At nine.", { firstTokenMs: 20 })] });
      h.session.start();
      await h.quiet(400);
      await h.speak(600);
      await h.until(() => h.said("assistant").length > 0);
      expect(h.record.partials.map((p) => p.text)).toEqual(["what time do you open"]);
    });
  });
});
