import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildTimeline,
  formatOffset,
  MARKER_TYPES,
  playingLine,
  type TimelineLine,
  type TimelineMarker,
} from "../../renderer/src/components/calls/timeline.js";
import { barScaleMs, columnPercentile, segments, turnRows } from "../../renderer/src/components/calls/latency.js";
import { mediaQuality, verdict, LOSS_PCT } from "../../renderer/src/components/calls/media-quality.js";
import { ANSWERED_AT, EVENTS, MEDIA, MESSAGES } from "../support/history-call.js";
import { ROOT } from "../helpers/cli.js";

// The call page's history (issue #16 part 6): a seeded call as the engine stores it (test/support/history-call.ts)
// read into the transcript's timing, the reply-time table and the audio verdicts.
const messages = MESSAGES.map((m) => ({ ...m }));
const timeline = () => buildTimeline(messages, EVENTS, ANSWERED_AT);
const lines = () => timeline().filter((i): i is TimelineLine => i.kind === "line");

describe("transcript on the recording's clock", () => {
  it("starts each line where the previous one ended, a reply at its first audio (its turn event), none before an event shown above it", () => {
    expect(lines().map((l) => [l.startMs, l.endMs])).toEqual([
      [0, 3000],
      [3000, 7500],
      [8400, 11000],
      [12500, 15000],
      [16200, 19000],
      [19000, 22000],
      [22900, 24500],
    ]);
  });

  it("puts the logged events between the lines at their time, and flags the line an interruption cut short", () => {
    const order = timeline().map((i) => (i.kind === "line" ? i.index : (i as TimelineMarker).type));
    // dtmf at 12.5 s between the reply ending at 11 s and the caller's line ending at 15 s; the tool call
    // (15.6 s) before the reply it produced; `created`, `status` and `turn` are not markers.
    expect(order).toEqual([0, 1, 2, "dtmf", 3, "tool_call", 4, 5, 6]);
    expect(lines().map((l) => l.interrupted)).toEqual([false, false, false, false, true, false, false]);
    const dtmf = timeline().find((i) => i.kind === "marker") as TimelineMarker;
    expect(dtmf.atMs).toBe(12_500);
  });

  it("an interruption with no line after it stays a marker", () => {
    const items = buildTimeline([], [{ type: "interruption", data: { heard: "" }, at: ANSWERED_AT }], ANSWERED_AT);
    expect(items).toEqual([{ kind: "marker", type: "interruption", data: { heard: "" }, atMs: 0 }]);
  });

  it("a line after a hold starts when the hold ended, not where the line before it did", () => {
    const at = (s: number) => new Date(Date.parse(ANSWERED_AT) + s * 1000).toISOString();
    const items = buildTimeline(
      [
        { role: "assistant", content: "One moment please.", at: at(5) },
        { role: "user", content: "I'm back.", at: at(70) },
      ],
      [
        { type: "hold", data: { by: "us" }, at: at(6) },
        { type: "unhold", data: { by: "us" }, at: at(66) },
      ],
      ANSWERED_AT,
    );
    expect(items.map((i) => (i.kind === "line" ? [i.content, i.startMs] : [i.type, i.atMs]))).toEqual([
      ["One moment please.", 0],
      ["hold", 6000],
      ["unhold", 66000],
      ["I'm back.", 66000],
    ]);
    // During the hold the last line before it stays marked; the caller's line from the resume on.
    expect(playingLine(items, 30_000)).toBe(0);
    expect(playingLine(items, 67_000)).toBe(1);
  });

  it("marks a person's lines after a takeover by the operator_line events", () => {
    const items = buildTimeline(
      [{ role: "assistant", content: "This is Anna, I'll help you.", at: "2026-11-20T09:00:05.000Z" }],
      [
        { type: "taken_over", data: {}, at: "2026-11-20T09:00:02.000Z" },
        { type: "operator_line", data: { content: "This is Anna, I'll help you." }, at: "2026-11-20T09:00:05.000Z" },
      ],
      ANSWERED_AT,
    );
    expect(items.map((i) => i.kind)).toEqual(["marker", "line"]);
    expect((items[1] as TimelineLine).operator).toBe(true);
  });

  it("the playing line follows the position, and none before the first or after the last", () => {
    const items = timeline();
    expect(playingLine(items, null)).toBe(-1);
    expect(playingLine(items, 0)).toBe(0);
    expect(playingLine(items, 2999)).toBe(0);
    expect(playingLine(items, 3000)).toBe(1);
    // The wait before a reply still belongs to the caller's line; the reply plays from its first audio.
    expect(playingLine(items, 8000)).toBe(1);
    expect(playingLine(items, 8400)).toBe(2);
    expect(playingLine(items, 16_200)).toBe(4);
    expect(playingLine(items, 24_500)).toBe(6);
    expect(playingLine(items, 25_000)).toBe(-1);
  });

  it("system notes are never playing and never move the next line's start", () => {
    const items = buildTimeline(
      [
        { role: "assistant", content: "Hello", at: "2026-11-20T09:00:02.000Z" },
        { role: "system", content: "VIP caller", at: "2026-11-20T09:00:03.000Z" },
        { role: "user", content: "Hi", at: "2026-11-20T09:00:06.000Z" },
      ],
      [],
      ANSWERED_AT,
    ) as TimelineLine[];
    expect(items.map((l) => l.startMs)).toEqual([0, 3000, 2000]);
    expect(playingLine(items, 3500)).toBe(2);
  });

  it("a call never answered has no times: lines keep their order and cannot be placed", () => {
    const items = buildTimeline(messages, EVENTS, null) as TimelineLine[];
    expect(items.filter((i) => i.kind === "line").every((l) => l.startMs === null)).toBe(true);
    expect(playingLine(items, 1000)).toBe(-1);
  });

  it("formats offsets as m:ss, h:mm:ss past an hour", () => {
    expect(formatOffset(0)).toBe("0:00");
    expect(formatOffset(16_200)).toBe("0:16");
    expect(formatOffset(754_000)).toBe("12:34");
    expect(formatOffset(3_723_000)).toBe("1:02:03");
  });

  it("every marker type has its words in English and Dutch", () => {
    for (const locale of ["en", "nl"]) {
      const call = JSON.parse(readFileSync(join(ROOT, "renderer/src/i18n/locales", locale, "call.json"), "utf8")) as {
        timeline: { marker: Record<string, string> };
      };
      for (const type of MARKER_TYPES) expect(call.timeline.marker[type], `${locale}: ${type}`).toBeTruthy();
    }
  });
});

describe("reply times", () => {
  const rows = turnRows(EVENTS, null, messages);

  it("one row per turn event, with what the caller said just before it", () => {
    expect(
      rows.map((r) => [r.turn, r.said, r.recognizerMs, r.llmFirstTokenMs, r.ttsFirstAudioMs, r.voiceToVoiceMs]),
    ).toEqual([
      [1, "I'd like to move my appointment to Friday.", 180, 420, 150, 900],
      [2, "Yes, Friday morning please.", 220, 610, 170, 1200],
      [3, "Great, thank you.", 160, 380, 140, 850],
    ]);
  });

  it("p50 and p95 by nearest rank, per column (p50 as the post-call report's voice_to_voice_p50_ms)", () => {
    expect(columnPercentile(rows, 50)).toEqual({
      recognizerMs: 180,
      llmFirstTokenMs: 420,
      ttsFirstAudioMs: 150,
      voiceToVoiceMs: 900,
    });
    expect(columnPercentile(rows, 95)).toEqual({
      recognizerMs: 220,
      llmFirstTokenMs: 610,
      ttsFirstAudioMs: 170,
      voiceToVoiceMs: 1200,
    });
    // Twenty turns of 100..2000 ms: p50 is the 10th, p95 the 19th.
    const many = Array.from({ length: 20 }, (_, i) => ({ ...rows[0], voiceToVoiceMs: (20 - i) * 100 }));
    expect(columnPercentile(many, 50).voiceToVoiceMs).toBe(1000);
    expect(columnPercentile(many, 95).voiceToVoiceMs).toBe(1900);
    // A figure a turn lacks (no reply audio: null) is left out, not counted as 0.
    expect(columnPercentile([{ ...rows[0], voiceToVoiceMs: null }, rows[1]], 50).voiceToVoiceMs).toBe(1200);
    expect(columnPercentile([], 50).voiceToVoiceMs).toBeNull();
  });

  it("falls back to the post-call report's metrics.turns when the log has none", () => {
    const fromMetrics = turnRows([], { turns: EVENTS.filter((e) => e.type === "turn").map((e) => e.data) }, messages);
    expect(fromMetrics.map((r) => r.voiceToVoiceMs)).toEqual([900, 1200, 850]);
    expect(fromMetrics[0].said).toBeNull();
    expect(turnRows([], { turns: "garbage" }, [])).toEqual([]);
    expect(turnRows([], null, [])).toEqual([]);
  });

  it("the bar splits voice-to-voice into recognizer, model, voice and the rest, on one scale", () => {
    expect(segments(rows[1])).toEqual([
      { segment: "recognizer", ms: 220 },
      { segment: "llm", ms: 610 },
      { segment: "tts", ms: 170 },
      { segment: "other", ms: 200 },
    ]);
    // Stages that overlapped (a preemptive reply) leave no rest; the bar is their sum.
    expect(segments({ ...rows[0], voiceToVoiceMs: 500 }).at(-1)).toEqual({ segment: "other", ms: 0 });
    expect(barScaleMs(rows)).toBe(1200);
  });
});

describe("audio verdicts", () => {
  it("reads the seeded leg: 2.1 % lost from the caller is some loss; jitter and round trip are fine", () => {
    expect(mediaQuality(MEDIA)).toEqual({
      lossInPct: 2.1,
      lossOutPct: 0.2,
      jitterMs: 12.4,
      rttMs: 84,
      loss: "fair",
      jitter: "good",
      rtt: "good",
      overall: "fair",
    });
  });

  it("the worst of the three decides, and a missing figure does not count", () => {
    const clean = { ...MEDIA, packets_lost: 0, peer_reported: null };
    expect(mediaQuality(clean)).toMatchObject({
      loss: "good",
      rtt: null,
      rttMs: null,
      lossOutPct: null,
      overall: "good",
    });
    expect(mediaQuality({ ...clean, jitter_ms: 75 })?.overall).toBe("poor");
    expect(mediaQuality({ ...MEDIA, peer_reported: { ...MEDIA.peer_reported, rtt_ms: 450 } })?.rtt).toBe("fair");
    // Our audio lost on the way to them counts as much as theirs to us.
    expect(
      mediaQuality({ ...clean, peer_reported: { fraction_lost: 0.1, packets_lost: 125, jitter_ms: 5, rtt_ms: 90 } }),
    ).toMatchObject({ lossOutPct: 10, loss: "poor" });
    // Only the last report's share when the far end gave no count.
    expect(
      mediaQuality({ ...clean, packets_sent: 0, peer_reported: { fraction_lost: 0.02, rtt_ms: null } })?.lossOutPct,
    ).toBe(2);
  });

  it("limits: under 1 % good, from 1 % fair, from 3 % poor", () => {
    expect([0, 0.9, 1, 2.9, 3, 40].map((v) => verdict(v, LOSS_PCT))).toEqual([
      "good",
      "good",
      "fair",
      "fair",
      "poor",
      "poor",
    ]);
    expect(verdict(null, LOSS_PCT)).toBeNull();
  });

  it("no report (a call never answered, or still live) shows nothing", () => {
    expect(mediaQuality(undefined)).toBeNull();
    expect(mediaQuality(null)).toBeNull();
    expect(mediaQuality({ jitter_ms: 3 })).toBeNull();
  });
});
