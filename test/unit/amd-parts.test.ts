import { describe, expect, it } from "vitest";
import { BeepDetector, type BeepEvent } from "../../main/engine/voice/amd/beep.js";
import { screeningPhrases, voicemailPhrases } from "../../main/engine/voice/amd/phrases.js";

const RATE = 8000;
const tone = (ms: number, hz: number, amp = 8000, phase = 0) =>
  Int16Array.from({ length: (ms / 1000) * RATE }, (_, i) =>
    Math.round(amp * Math.sin((2 * Math.PI * hz * (i + phase)) / RATE)),
  );

function beeps(pcm: Int16Array): { started: number[]; ended: BeepEvent[] } {
  const out = { started: [] as number[], ended: [] as BeepEvent[] };
  const d = new BeepDetector({ beepStarted: (e) => out.started.push(e.atMs), beepEnded: (e) => out.ended.push(e) });
  for (let i = 0; i + 160 <= pcm.length; i += 160) d.push(pcm.subarray(i, i + 160));
  return out;
}
const join = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe("beep detector (Goertzel, 400–2000 Hz, ≥ 150 ms)", () => {
  it("finds common voicemail tones, off the filter grid too, and reports where they end", () => {
    for (const hz of [440, 613, 1000, 1400, 1990]) {
      const r = beeps(join(new Int16Array(1600), tone(400, hz), new Int16Array(1600)));
      expect(r.ended, `${hz} Hz`).toHaveLength(1);
      expect(r.ended[0].startMs).toBe(200);
      expect(r.ended[0].endMs).toBe(600);
      expect(Math.abs(r.ended[0].frequencyHz - hz)).toBeLessThanOrEqual(13);
      // Announced once 150 ms of it were heard (plus the frame that completed them).
      expect(r.started[0]).toBeLessThanOrEqual(200 + 160 + 20);
    }
  });

  it("ignores tones that are too short, below the band (a voice's pitch), too quiet, or chords", () => {
    expect(beeps(tone(120, 1000)).ended).toHaveLength(0);
    expect(beeps(tone(500, 200)).ended).toHaveLength(0);
    expect(beeps(tone(500, 1000, 60)).ended).toHaveLength(0);
    const chord = tone(500, 350, 6000).map((v, i) => v + Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / RATE)));
    expect(beeps(Int16Array.from(chord)).ended).toHaveLength(0);
  });

  it("ignores speech-like sound: a gliding harmonic-rich pitch", () => {
    const n = RATE * 2;
    const pcm = new Int16Array(n);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      phase += (2 * Math.PI * (120 + 60 * Math.sin((2 * Math.PI * i) / RATE))) / RATE;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(h * phase) / h;
      pcm[i] = Math.round(4000 * v);
    }
    expect(beeps(pcm).ended).toHaveLength(0);
  });
});

describe("voicemail phrases (features.md §2, in context)", () => {
  it("recognises recorded greetings in English and Dutch", () => {
    for (const text of [
      "Hi, you've reached Mark, I can't take your call right now, please leave a message after the tone.",
      "Please leave a message.",
      "The person you are calling is not available. Please record your message.",
      "U spreekt met de voicemail van Anna.",
      "Spreek een bericht in na de piep.",
      "Laat een bericht achter.",
      "Ik ben momenteel niet bereikbaar.",
      "Welcome to the mailbox of extension 241.",
    ])
      expect(voicemailPhrases(text).machine, text).toBe(true);
  });

  it("does not take a person's words for a machine", () => {
    for (const text of [
      "Hello?",
      "Hello, this is Mark.",
      "Can I take a message?",
      "He's not here, can I take a message?",
      "Sorry, she's not available, who's calling?",
      "Met Anna.",
      "Hallo, met Pieter.",
      "Yes, I got your message, thanks.",
    ])
      expect(voicemailPhrases(text).machine, text).toBe(false);
  });
});

describe("call-screening phrases (a separate outcome, answered like a person)", () => {
  it("recognises screening services in English and Dutch", () => {
    for (const text of [
      "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling.",
      "Hi, if you record your name and reason for calling, I'll see if this person is available.",
      "Please state your name and the reason for your call.",
      "De persoon die u belt gebruikt een screeningservice. Zeg uw naam en waarom u belt.",
      "Noem uw naam en de reden van uw oproep.",
    ]) {
      expect(screeningPhrases(text).length, text).toBeGreaterThan(0);
      expect(voicemailPhrases(text).machine, text).toBe(false);
    }
  });

  it("finds none in voicemail greetings or a person's pickup", () => {
    for (const text of [
      "Hi, you've reached Mark, please leave a message after the tone.",
      "Spreek een bericht in na de piep.",
      "Hello, this is Mark.",
      "Who's calling?",
      "Met Anna, met wie spreek ik?",
    ])
      expect(screeningPhrases(text), text).toEqual([]);
  });
});
