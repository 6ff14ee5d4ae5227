import { describe, expect, it } from "vitest";
import { inWindow, localClock, normaliseTime } from "../../main/engine/campaigns/schedule.js";
import { renderTemplate, templateVariables } from "../../main/engine/campaigns/template.js";
import { leadsFromCsv, parseCsv, toE164 } from "../../main/engine/campaigns/csv.js";
import { DEFAULT_RETRY, leavesVoicemail, nextStep, outcomeOf } from "../../main/engine/campaigns/retry.js";
import type { CallRecord } from "../../main/engine/store/calls.js";
import { withSystemMessage } from "../../main/engine/campaigns/dispatcher.js";

const w = (start: string, end: string, timezone = "Europe/Amsterdam", weekdays = [1, 2, 3, 4, 5, 6, 7]) => ({
  start,
  end,
  timezone,
  weekdays,
});

describe("campaign window", () => {
  it("reads the wall clock of the zone, across daylight saving time", () => {
    expect(localClock(new Date("2026-07-01T07:00:00Z"), "Europe/Amsterdam").text).toBe("Wed 09:00:00"); // CEST, UTC+2
    expect(localClock(new Date("2026-12-02T08:00:00Z"), "Europe/Amsterdam").text).toBe("Wed 09:00:00"); // CET, UTC+1
    expect(localClock(new Date("2026-12-02T04:30:00Z"), "Asia/Kolkata").text).toBe("Wed 10:00:00");
  });
  it("start inclusive, end exclusive, over midnight, all day, weekdays", () => {
    const monday = (utc: string) => new Date(`2026-12-07T${utc}Z`);
    expect(inWindow(w("09:00:00", "17:00:00"), monday("07:59:59"))).toBe(false);
    expect(inWindow(w("09:00:00", "17:00:00"), monday("08:00:00"))).toBe(true);
    expect(inWindow(w("09:00:00", "17:00:00"), monday("15:59:59"))).toBe(true);
    expect(inWindow(w("09:00:00", "17:00:00"), monday("16:00:00"))).toBe(false);
    expect(inWindow(w("22:00:00", "02:00:00"), monday("23:30:00"))).toBe(true); // 00:30 Tuesday, window opened Monday
    expect(inWindow(w("22:00:00", "02:00:00", "Europe/Amsterdam", [1]), monday("23:30:00"))).toBe(true);
    expect(inWindow(w("22:00:00", "02:00:00", "Europe/Amsterdam", [2]), monday("23:30:00"))).toBe(false);
    expect(inWindow(w("00:00:00", "00:00:00"), monday("03:00:00"))).toBe(true);
    expect(inWindow(w("09:00:00", "17:00:00", "Europe/Amsterdam", [2, 3, 4, 5, 6]), monday("10:00:00"))).toBe(false);
  });
  it("normalises times of day", () => {
    expect(normaliseTime("9:00")).toBe("09:00:00");
    expect(normaliseTime("17:30:15")).toBe("17:30:15");
    expect(normaliseTime("24:00")).toBeNull();
    expect(normaliseTime("12:60")).toBeNull();
  });
});

describe("template", () => {
  it("fills {{variables}} (spaces allowed) and reports the missing ones", () => {
    expect(templateVariables("Hi {{name}}, {{ date }} {{name}}")).toEqual(["name", "date"]);
    expect(renderTemplate("Hi {{name}}, on {{ date }}.", { name: "Jan", date: "Friday" })).toEqual({
      text: "Hi Jan, on Friday.",
      missing: [],
    });
    expect(renderTemplate("Hi {{name}}, on {{date}}.", { name: "Jan", date: "" })).toEqual({
      text: "Hi Jan, on .",
      missing: ["date"],
    });
  });
  it("becomes the call's system message in place of the assistant's own", () => {
    const a = {
      name: "x",
      llm_config: {
        model: "m",
        messages: [
          { role: "system", content: "own" },
          { role: "assistant", content: "hi" },
        ],
      },
    };
    expect(withSystemMessage(a, "campaign")).toEqual({
      name: "x",
      llm_config: {
        model: "m",
        messages: [
          { role: "system", content: "campaign" },
          { role: "assistant", content: "hi" },
        ],
      },
    });
    expect(withSystemMessage({ name: "y" }, "c")).toEqual({
      name: "y",
      llm_config: { messages: [{ role: "system", content: "c" }] },
    });
  });
});

describe("CSV", () => {
  it("parses quotes, doubled quotes, commas and line breaks inside fields, CRLF and a BOM", () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi""\nthen"\n\n')).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"\nthen'],
    ]);
  });
  it("turns numbers as people write them into E.164, or refuses them", () => {
    expect(toE164("+31 (0)6")).toBeNull();
    expect(toE164("+31 6 1234-5678")).toBe("+31612345678");
    expect(toE164("0031 6 12345678")).toBe("+31612345678");
    expect(toE164("06 12345678")).toBeNull();
  });
  it("maps headers and reports a row with too many fields", () => {
    const r = leadsFromCsv("phone,Name,city\n+31612345678,Jan,Delft\n+31612345679,Piet,Delft,extra\n");
    expect(r.columns).toEqual({ phone: "phone_number", Name: "name", city: "city" });
    expect(r.leads).toEqual([{ row: 2, phone_number: "+31612345678", name: "Jan", variables: { city: "Delft" } }]);
    expect(r.errors).toEqual([{ row: 3, message: "4 fields but 3 columns (an unquoted comma?)" }]);
  });
});

describe("retry policy", () => {
  const at = new Date("2026-12-07T09:00:00Z");
  it("no answer: 3 attempts, 4 h apart; busy: 3 attempts, 15 min apart; failed stops; answered completes", () => {
    expect(nextStep("no_answer", 1, at, DEFAULT_RETRY)).toEqual({
      status: "pending",
      retryAt: new Date("2026-12-07T13:00:00Z"),
    });
    expect(nextStep("no_answer", 2, at, DEFAULT_RETRY)).toEqual({
      status: "pending",
      retryAt: new Date("2026-12-07T13:00:00Z"),
    });
    expect(nextStep("no_answer", 3, at, DEFAULT_RETRY)).toEqual({ status: "failed" });
    expect(nextStep("busy", 1, at, DEFAULT_RETRY)).toEqual({
      status: "pending",
      retryAt: new Date("2026-12-07T09:15:00Z"),
    });
    expect(nextStep("busy", 3, at, DEFAULT_RETRY)).toEqual({ status: "failed" });
    expect(nextStep("failed", 1, at, DEFAULT_RETRY)).toEqual({ status: "failed" });
    expect(nextStep("answered", 1, at, DEFAULT_RETRY)).toEqual({ status: "completed" });
    expect(nextStep("interrupted", 1, at, DEFAULT_RETRY)).toEqual({ status: "pending", retryAt: at });
  });

  it("voicemail: tried again 4 h later without a message; the last attempt leaves it and completes the lead", () => {
    const call = (c: Partial<CallRecord>) => c as CallRecord;
    expect(outcomeOf(call({ status: "ended", end_reason: "voicemail" }))).toBe("voicemail");
    expect(outcomeOf(call({ status: "ended", end_reason: "user_hangup" }))).toBe("answered");
    expect(nextStep("voicemail", 1, at, DEFAULT_RETRY)).toEqual({
      status: "pending",
      retryAt: new Date("2026-12-07T13:00:00Z"),
    });
    expect(nextStep("voicemail", 3, at, DEFAULT_RETRY)).toEqual({ status: "completed" });
    expect([1, 2, 3].map((attempt) => leavesVoicemail(attempt, DEFAULT_RETRY))).toEqual([false, false, true]);
  });
});
