import { describe, expect, it } from "vitest";
import {
  MAX_LABEL,
  MAX_MACROS,
  macroFor,
  withMacro,
  withoutMacro,
} from "../../renderer/src/components/calls/steer-macros.js";

describe("steer macros", () => {
  it("labels a short line with itself and a long one with its first words, within the engine's 40 characters", () => {
    expect(macroFor("  Please   hold the line. ", "say")).toEqual({
      label: "Please hold the line.",
      kind: "say",
      text: "Please hold the line.",
    });
    const long = macroFor("The caller is a returning customer who bought the premium plan last year", "note");
    expect(long.label).toBe("The caller is a returning customer who…");
    expect(long.label.length).toBeLessThanOrEqual(MAX_LABEL);
    expect(long.text).toBe("The caller is a returning customer who bought the premium plan last year");
    // One unbroken word longer than the limit is cut inside it.
    expect(macroFor("x".repeat(60), "ask").label).toBe(`${"x".repeat(MAX_LABEL - 1)}…`);
  });

  it("saving the same line again moves it to the end instead of adding a copy; the list keeps the newest 30", () => {
    const a = macroFor("Please hold", "say");
    const b = macroFor("Offer a callback", "ask");
    expect(withMacro(withMacro([a, b], a), macroFor("Please hold", "note"))).toEqual([
      b,
      a,
      { label: "Please hold", kind: "note", text: "Please hold" },
    ]);
    let list = [a];
    for (let i = 0; i < 40; i++) list = withMacro(list, macroFor(`line ${i}`, "say"));
    expect(list).toHaveLength(MAX_MACROS);
    expect(list.at(-1)!.text).toBe("line 39");
    expect(list[0].text).toBe("line 10");
    expect(withoutMacro([a, b], 0)).toEqual([b]);
  });
});
