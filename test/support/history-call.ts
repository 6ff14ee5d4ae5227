// One finished assistant call as the engine leaves it, for the call page's history (issue #16 part 6):
// transcript lines with their stored times, the call's log (three `turn` events with the figures the
// voice pipeline measures, a tool call, a digit, an interruption) and the media report of its leg.
// test/unit/call-history-view.test.ts reads it as data; test/e2e/console-call-history.test.ts writes it
// into a real engine's store, with a recording.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../../main/engine/store/index.js";

export const HISTORY_CALL_ID = "call-history-e2e1";
export const ANSWERED_AT = "2026-11-20T09:00:00.000Z";
const at = (seconds: number) => new Date(Date.parse(ANSWERED_AT) + seconds * 1000).toISOString();

/** Stored as the engine stores them: a caller's line when their turn was final, a reply once spoken. */
export const MESSAGES = [
  { role: "assistant", content: "Good morning, Riverside Dental, how can I help?", at: at(3) },
  { role: "user", content: "I'd like to move my appointment to Friday.", at: at(7.5) },
  { role: "assistant", content: "Let me check Friday for you.", at: at(11) },
  { role: "user", content: "Yes, Friday morning please.", at: at(15) },
  { role: "assistant", content: "I've booked you in for Friday at nine", at: at(19) },
  { role: "user", content: "Great, thank you.", at: at(22) },
  { role: "assistant", content: "You're welcome, goodbye!", at: at(24.5) },
] as const;

const turn = (n: number, recognizer: number, llm: number, tts: number, v2v: number) => ({
  turn: n,
  vad_tail_ms: 40,
  endpointing_ms: 600,
  preempt_ms: 200,
  stt_ms: recognizer,
  recognizer_ms: recognizer,
  llm_first_token_ms: llm,
  tts_first_audio_ms: tts,
  hold_ms: 0,
  playout_ms: 12,
  voice_to_voice_ms: v2v,
  overhead_ms: v2v - recognizer - llm - tts,
  interrupted: false,
  speech_end_at: 0,
  vad_end_at: 0,
  sent_at: null,
});

/** The call's log: `turn` events are stored when the reply's first audio went out. */
export const EVENTS = [
  { type: "created", data: { status: "connecting", direction: "inbound" }, at: at(-2) },
  { type: "status", data: { status: "in-progress" }, at: at(0) },
  { type: "turn", data: turn(1, 180, 420, 150, 900), at: at(8.4) },
  { type: "dtmf", data: { digit: "1", via: "rfc4733" }, at: at(12.5) },
  { type: "tool_call", data: { name: "book_appointment", async: false }, at: at(15.6) },
  { type: "turn", data: turn(2, 220, 610, 170, 1200), at: at(16.2) },
  { type: "interruption", data: { heard: "I've booked you in for Friday at nine" }, at: at(18.99) },
  { type: "turn", data: turn(3, 160, 380, 140, 850), at: at(22.9) },
];

/** metrics.media of the leg (main/engine/media/worker/report.ts): 26 of 1266 caller packets lost. */
export const MEDIA = {
  packets_sent: 1250,
  packets_received: 1240,
  packets_lost: 26,
  packets_late: 2,
  packets_duplicate: 0,
  packets_reordered: 1,
  packets_malformed: 0,
  jitter_ms: 12.4,
  rtcp_sent: 5,
  rtcp_received: 5,
  peer_reported: { fraction_lost: 0, packets_lost: 3, jitter_ms: 8.1, rtt_ms: 84.2 },
};

export const RECORDING_SECONDS = 26;

/** A mono 8 kHz WAV of a quiet 440 Hz tone, `seconds` long. */
export function toneWav(seconds: number): Buffer {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++)
    wav.writeInt16LE(Math.round(2000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return wav;
}

/** Writes the call, its transcript, its log, its report and its recording into a running engine's store. */
export function seedHistoryCall(store: Store, dataDir: string, baseUrl: string): void {
  const id = HISTORY_CALL_ID;
  store.calls.create({
    id,
    status: "connecting",
    direction: "inbound",
    caller_phone: "+31612340001",
    assistant_phone: "+31850835037",
    agent_name: "Front desk",
    created_at: at(-2),
  });
  for (const m of MESSAGES) store.calls.addMessage(id, { ...m });
  const insert = store.db.prepare("INSERT INTO call_events (call_id, type, data, at) VALUES (?, ?, ?, ?)");
  store.tx(() => {
    for (const e of EVENTS) insert.run(id, e.type, JSON.stringify(e.data), e.at);
  });
  mkdirSync(join(dataDir, "recordings"), { recursive: true });
  writeFileSync(join(dataDir, "recordings", `${id}.wav`), toneWav(RECORDING_SECONDS));
  store.calls.update(id, {
    status: "ended",
    started_at: ANSWERED_AT,
    ended_at: at(RECORDING_SECONDS),
    duration_seconds: RECORDING_SECONDS,
    end_reason: "assistant_hangup",
    summary: "The caller moved her appointment to Friday at nine.",
    recording_url: `${baseUrl}/api/v1/calls/${id}/recording`,
    metrics: {
      media: MEDIA,
      turns: EVENTS.filter((e) => e.type === "turn").map((e) => e.data),
      interruptions: 0,
      voice_to_voice_p50_ms: 900,
    },
  });
}
