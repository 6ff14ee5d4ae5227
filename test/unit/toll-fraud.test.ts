import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normaliseTools, transferTarget, type ToolSpec } from "../../main/engine/voice/tools.js";
import { countryPrefix, destinationRefusal, dialledNumber } from "../../main/engine/calls/destination-policy.js";
import { Store } from "../../main/engine/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "vd-tollfraud-"));
const store = new Store({ dataDir: dir });
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("toll fraud (issue #13 §9)", () => {
  const [tool] = normaliseTools([
    {
      type: "transfer_call",
      destinations: [{ number: "+31 20 123 4567", message: "One moment." }, { number: "sip:reception@pbx.local" }],
    },
  ]) as Extract<ToolSpec, { kind: "transfer_call" }>[];

  it("the model's transfer_call reaches only the tool's own destinations, whatever it asks for", () => {
    expect(transferTarget(tool, "+31201234567")).toEqual({ number: "+31 20 123 4567", message: "One moment." });
    expect(transferTarget(tool, "sip:reception@pbx.local")).toMatchObject({ number: "sip:reception@pbx.local" });
    expect(transferTarget(tool, undefined)).toMatchObject({ number: "+31 20 123 4567" });
    // What a caller talks the model into (directly, or through text injected into the conversation).
    expect(transferTarget(tool, "+1 900 555 0199")).toEqual({
      refused: "+1 900 555 0199 is not one of this tool's destinations (+31 20 123 4567, sip:reception@pbx.local)",
    });
    expect(transferTarget(tool, "sip:+19005550199@carrier.example")).toHaveProperty("refused");
    const [empty] = normaliseTools([{ type: "transfer_call", destinations: [] }]) as Extract<
      ToolSpec,
      { kind: "transfer_call" }
    >[];
    expect(transferTarget(empty, "+31201234567")).toEqual({
      refused: "this transfer tool has no destinations configured",
    });
  });

  it("country codes and dialled numbers are read the E.164 way", () => {
    expect(
      ["+31612345678", "+14155550100", "+74951234567", "+442071234567", "+35312345678", "+8613812345678"].map(
        countryPrefix,
      ),
    ).toEqual(["+31", "+1", "+7", "+44", "+353", "+86"]);
    expect(dialledNumber("sip:+19005550199@carrier.example;user=phone")).toBe("+19005550199");
    expect(dialledNumber("0044 20 7123 4567")).toBe("+442071234567");
    expect(dialledNumber("sip:reception@pbx.local")).toBeNull();
    expect(dialledNumber("1234")).toBe("1234");
  });

  it("every outbound leg follows the allow-list: the countries of our numbers by default, the saved list when set", () => {
    expect(destinationRefusal(store, "+19005550199")).toBeNull(); // no numbers, no list: nothing known to restrict to
    store.numbers.create({ phone_number: "+31850000001" });
    expect(destinationRefusal(store, "+31612345678")).toBeNull();
    expect(destinationRefusal(store, "+19005550199")).toMatch(
      /^\+19005550199 is outside the allowed destinations \(\+31\): add its prefix with PATCH \/api\/v1\/settings/,
    );
    expect(destinationRefusal(store, "sip:+19005550199@carrier.example")).toMatch(/outside the allowed destinations/);
    expect(destinationRefusal(store, "sip:reception@pbx.local")).toBeNull();
    expect(destinationRefusal(store, "201")).toBeNull(); // an extension: the PBX decides
    store.settings.set("outbound_allowed_prefixes", ["+31", "+4420"]);
    expect(destinationRefusal(store, "+442071234567")).toBeNull();
    expect(destinationRefusal(store, "+447911123456")).toMatch(/\(\+31, \+4420\)/);
  });
});
