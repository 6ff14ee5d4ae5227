import { describe, expect, it } from "vitest";
import { handbackSummary } from "../../main/engine/calls/handback-summary.js";

describe("hand-back summary", () => {
  it("says how long the colleague had the call and what each side said, in order, one side's lines joined", () => {
    const text = handbackSummary(
      [
        { speaker: "person", text: "hello this is anna", startedAt: 1 },
        { speaker: "caller", text: "hi i want to move my booking", startedAt: 2 },
        { speaker: "person", text: "sure to friday", startedAt: 3 },
        { speaker: "person", text: "at ten", startedAt: 4 },
      ],
      41_600,
    );
    expect(text).toBe(
      [
        "A human colleague took over the call for 42 s and has now handed it back to you.",
        "What was said meanwhile (transcribed, may contain errors):",
        "Colleague: hello this is anna",
        "Caller: hi i want to move my booking",
        "Colleague: sure to friday at ten",
        "Continue the conversation from here; do not repeat what the colleague said.",
      ].join("\n"),
    );
  });

  it("says so when nothing could be transcribed", () => {
    expect(handbackSummary([], 300)).toContain("took over the call for 1 s");
    expect(handbackSummary([], 300)).toContain("Nothing that could be transcribed was said meanwhile.");
  });
});
