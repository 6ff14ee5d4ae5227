import { describe, expect, it } from "vitest";
import {
  applyLog,
  byAge,
  elapsedSeconds,
  formatElapsed,
  holderOf,
  nextIndex,
  rowFromCall,
  stateOf,
  turnFrom,
  withCall,
} from "../../renderer/src/components/live/live-board";
import { band, median, sparkline } from "../../renderer/src/components/calls/latency-band";
import {
  atBottom,
  lineKind,
  mergeLines,
  noInterims,
  withFinal,
  withPartial,
  type Interims,
} from "../../renderer/src/components/calls/live-transcript";
import type { Call } from "../../renderer/src/api/types";

const call = (over: Partial<Call> = {}): Call =>
  ({
    id: "c1",
    status: "connecting",
    direction: "inbound",
    caller_phone: "+15550001000",
    agent_id: null,
    assistant_name: null,
    ringing_at: null,
    started_at: null,
    messages: [],
    created_at: "2026-05-01T10:00:00.000Z",
    ...over,
  }) as Call;

describe("live board rows", () => {
  it("a connecting call is nobody's until answered; then its assistant's, or a person's without one", () => {
    const r = rowFromCall(call());
    expect(stateOf(r)).toBe("connecting");
    expect(holderOf(r)).toBe("nobody");
    expect(stateOf(rowFromCall(call({ ringing_at: "2026-05-01T10:00:01Z" })))).toBe("ringing");
    expect(stateOf({ ...r, ringingConsole: true })).toBe("ringing");
    const answered = withCall(r, call({ status: "in-progress", assistant_name: "Front desk" }));
    expect(stateOf(answered)).toBe("in-progress");
    expect(holderOf(answered)).toBe("assistant");
    expect(holderOf(withCall(r, call({ status: "in-progress" })))).toBe("person");
  });

  it("hold, takeover and hand-back from the log or the stream change who has the call; a turn sets the latency", () => {
    let r = rowFromCall(call({ status: "in-progress", agent_id: "asst_1" }));
    r = applyLog(r, "taken_over", {});
    expect(holderOf(r)).toBe("person");
    r = applyLog(r, "hold", { by: "us" });
    expect(holderOf(r)).toBe("hold");
    r = applyLog(r, "unhold", { by: "us" });
    expect(holderOf(r)).toBe("person");
    r = applyLog(applyLog(r, "hold", {}), "handed_back", {});
    expect(holderOf(r)).toBe("assistant");
    expect(applyLog(r, "turn", { turn: 2, voice_to_voice_ms: 712.4 }).lastTurnMs).toBe(712.4);
    expect(applyLog(r, "turn", { turn: 3, voice_to_voice_ms: null }).lastTurnMs).toBe(r.lastTurnMs);
    expect(applyLog(r, "dtmf", { digit: "1" })).toBe(r);
    // A newer record keeps what events said; the last line falls back to the record's.
    const later = withCall(
      r,
      call({ status: "in-progress", agent_id: "asst_1", messages: [{ role: "user", content: "hi", at: "x" }] }),
    );
    expect(holderOf(later)).toBe("assistant");
    expect(later.lastLine?.content).toBe("hi");
  });

  it("turn figures are read from an event or log entry, and nothing else", () => {
    expect(
      turnFrom({
        turn: 1,
        voice_to_voice_ms: 640,
        recognizer_ms: 120,
        llm_first_token_ms: null,
        tts_first_audio_ms: 80,
      }),
    ).toEqual({
      turn: 1,
      voice_to_voice_ms: 640,
      recognizer_ms: 120,
      llm_first_token_ms: null,
      tts_first_audio_ms: 80,
    });
    expect(turnFrom({ by: "us" })).toBeNull();
  });

  it("the duration counts from the answer (or from creation while it rings), formatted m:ss or h:mm:ss", () => {
    const now = Date.parse("2026-05-01T10:01:05.900Z");
    expect(elapsedSeconds(call(), now)).toBe(65);
    expect(elapsedSeconds(call({ status: "in-progress", started_at: "2026-05-01T10:00:30.000Z" }), now)).toBe(35);
    expect(elapsedSeconds(call(), Date.parse("2026-05-01T09:00:00Z"))).toBe(0);
    expect(formatElapsed(0)).toBe("0:00");
    expect(formatElapsed(7)).toBe("0:07");
    expect(formatElapsed(754)).toBe("12:34");
    expect(formatElapsed(3723)).toBe("1:02:03");
  });

  it("rows keep their order as calls join; arrow keys move within the rows", () => {
    const a = rowFromCall(call({ id: "a", created_at: "2026-05-01T10:00:00Z" }));
    const b = rowFromCall(call({ id: "b", created_at: "2026-05-01T10:00:05Z" }));
    expect([b, a].sort(byAge).map((r) => r.call.id)).toEqual(["a", "b"]);
    expect(nextIndex("ArrowDown", 0, 3)).toBe(1);
    expect(nextIndex("ArrowDown", 2, 3)).toBe(2);
    expect(nextIndex("ArrowUp", 0, 3)).toBe(0);
    expect(nextIndex("End", 0, 3)).toBe(2);
    expect(nextIndex("Home", 2, 3)).toBe(0);
    expect(nextIndex("Enter", 1, 3)).toBeNull();
    expect(nextIndex("ArrowDown", 0, 0)).toBeNull();
  });
});

describe("latency meter", () => {
  it("bands a reply: ≤ 800 ms good, ≤ 1500 ms ok, else slow; none without a figure", () => {
    expect(band(120)).toBe("good");
    expect(band(800)).toBe("good");
    expect(band(801)).toBe("ok");
    expect(band(1500)).toBe("ok");
    expect(band(1501)).toBe("slow");
    expect(band(null)).toBe("none");
    expect(band(Number.NaN)).toBe("none");
  });

  it("draws recent turns left to right, higher for slower, skipping turns without a figure", () => {
    const pts = sparkline([600, null, 1200, 3000], 100, 20, 0)
      .split(" ")
      .map((p) => p.split(",").map(Number));
    expect(pts).toHaveLength(3);
    expect(pts.map((p) => p[0])).toEqual([0, 50, 100]);
    expect(pts[2]![1]).toBe(0); // the slowest at the top
    expect(pts[0]![1]).toBeGreaterThan(pts[1]![1]!);
    expect(sparkline([], 100, 20)).toBe("");
    expect(median([900, null, 100, 500])).toBe(500);
    expect(median([100, 300])).toBe(200);
    expect(median([null])).toBeNull();
  });
});

describe("live transcript", () => {
  it("follows new lines only while the newest is in view", () => {
    expect(atBottom({ scrollTop: 600, clientHeight: 400, scrollHeight: 1000 })).toBe(true);
    expect(atBottom({ scrollTop: 580, clientHeight: 400, scrollHeight: 1000 })).toBe(true);
    expect(atBottom({ scrollTop: 300, clientHeight: 400, scrollHeight: 1000 })).toBe(false);
    expect(atBottom({ scrollTop: 0, clientHeight: 400, scrollHeight: 300 })).toBe(true);
  });

  it("joins loaded and streamed lines once each, keeping the marks streamed lines carry", () => {
    const hi = { role: "user" as const, content: "Hi", at: "t1" };
    const said = { role: "assistant" as const, content: "One moment", at: "t2", origin: "say" as const };
    const note = { role: "system" as const, content: "VIP", at: "t3" };
    const merged = mergeLines([hi, { role: "assistant", content: "One moment", at: "t2" }], [said, note]);
    expect(merged.map((l) => l.content)).toEqual(["Hi", "One moment", "VIP"]);
    expect(merged.map(lineKind)).toEqual(["user", "say", "note"]);
    expect(lineKind({ role: "assistant", content: "x", at: "t", operator: true })).toBe("operator");
  });

  describe("lines still being spoken (call.partial)", () => {
    const user = (text: string, turn: number) => ({ role: "user", text, turn });
    const person = (text: string, turn: number) => ({ role: "assistant", speaker: "operator", text, turn });
    const shown = (s: Interims) => s.lines.map((l) => `${l.kind}#${l.turn}: ${l.text}`);

    it("a partial updates its line in place; the final line with its turn replaces it", () => {
      let s = withPartial(noInterims(), user("I would", 1));
      s = withPartial(s, person("Let me", 1));
      const before = s.lines;
      s = withPartial(s, user("I would like to book", 1));
      // Same place, new text: the caller's line stays first, the person's second.
      expect(shown(s)).toEqual(["user#1: I would like to book", "operator#1: Let me"]);
      expect(s.lines[1]).toBe(before[1]);
      s = withFinal(s, { role: "user", turn: 1 });
      expect(shown(s)).toEqual(["operator#1: Let me"]);
      // The assistant's own lines and notes supersede nothing.
      expect(withFinal(s, { role: "assistant" })).toBe(s);
      expect(withFinal(s, { role: "system" })).toBe(s);
      s = withFinal(s, { role: "assistant", speaker: "operator", turn: 1 });
      expect(shown(s)).toEqual([]);
    });

    it("a partial of a later turn after a final shows as a new line; a late partial of a final turn does not", () => {
      let s = withPartial(noInterims(), user("what time", 1));
      s = withFinal(s, { role: "user", turn: 1 });
      s = withPartial(s, user("what time do you open", 1)); // sent before the final, arrived after
      expect(shown(s)).toEqual([]);
      s = withPartial(s, user("and on", 2));
      expect(shown(s)).toEqual(["user#2: and on"]);
      // The next turn's partial can come before the previous turn's final line: the final keeps it.
      s = withPartial(s, user("and on Sunday", 2));
      s = withPartial(s, user("is it", 3));
      expect(shown(s)).toEqual(["user#3: is it"]);
      expect(shown(withPartial(s, user("and on Sunday?", 2)))).toEqual(["user#3: is it"]);
      s = withFinal(s, { role: "user", turn: 2 });
      expect(shown(s)).toEqual(["user#3: is it"]);
      expect(s.finalTurn.user).toBe(2);
    });

    it("an empty partial takes the line back; a final without a turn clears its speaker's partial", () => {
      let s = withPartial(noInterims(), user("hm", 4));
      expect(shown(withPartial(s, user("", 4)))).toEqual([]);
      expect(withPartial(noInterims(), user("", 1)).lines).toEqual([]);
      s = withPartial(s, person("one moment", 2));
      expect(shown(withFinal(s, { role: "user" }))).toEqual(["operator#2: one moment"]);
    });
  });
});
