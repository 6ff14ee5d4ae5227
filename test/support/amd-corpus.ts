// Over 300 lines because the labelled set is data and its making together: the greetings and pickups in two
// languages, the item plan, and the sox/espeak/Flite pipeline that turns each into a line-quality WAV.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { FliteTts, FLITE_VOICES } from "../../main/engine/providers/tts/flite.js";
import { readWav } from "./audio.js";

/**
 * A labelled set of answering machines and people picking up, made here from text: espeak-ng (English and
 * Dutch) and Flite (English) speak, sox makes the beeps and the line (8 kHz μ-law, and a little hiss on
 * some). Each item knows where its speech and its beep are, so a detector's decision times can be measured
 * against the truth. Generated once per spec in a temp dir keyed by a hash of the spec and the tools'
 * versions; reruns read the WAVs back.
 */
export type AmdLabel = "human" | "machine";

export interface AmdItemSpec {
  id: string;
  label: AmdLabel;
  engine: "espeak" | "flite";
  lang: "en" | "nl";
  voice: string;
  /** espeak words per minute. */
  wpm: number;
  text: string;
  leadMs: number;
  beep: { gapMs: number; ms: number; hz: number } | null;
  tailMs: number;
  hiss: boolean;
}

export interface AmdItem extends AmdItemSpec {
  /** 8 kHz 16-bit PCM after a trip through μ-law. */
  file: string;
  durationMs: number;
  /** Where the speech is, measured on the clean synthesis (ms from the answer). */
  speechStartMs: number;
  speechEndMs: number;
  beepStartMs: number | null;
  beepEndMs: number | null;
}

const MACHINE_EN = [
  "Please leave a message.",
  "Hi, this is Mark. Leave a message.",
  "You have reached Sarah. Please leave a message after the tone.",
  "Hi, you've reached Mark, I can't take your call right now, please leave a message after the tone.",
  "The person you are calling is not available. Please record your message after the tone.",
  "Hello, you have reached the voicemail of John Smith. I am away from my desk. Leave your name and number and I will get back to you.",
  "Thank you for calling Acme Dental. Our office is currently closed. Our opening hours are Monday to Friday, nine to five. Please leave a message and we will call you back.",
  "Hey, it's Lisa. Sorry I missed you. Leave a message and I'll call you back later.",
  "The mailbox of extension two four one is full. Please call back later.",
  "Hi, you've reached the Johnsons. We can't come to the phone right now. Leave a message at the beep.",
  "This is Peter. I'm unavailable right now. Please leave a message.",
  "Hello. I'm not here right now. Please leave a message.",
  "Sorry we missed your call. Please leave your name and number after the beep.",
  "Welcome to the voicemail service. The number you have dialled is not available. Please speak your message after the tone. When you have finished, hang up or press pound for more options.",
];

const MACHINE_NL = [
  "Laat een bericht achter.",
  "Spreek een bericht in na de piep.",
  "U spreekt met de voicemail van Anna. Spreek een bericht in na de piep.",
  "Hallo, dit is Mark. Ik ben er even niet. Laat een bericht achter na de toon.",
  "U spreekt met de voicemail van Jan de Vries. Ik ben momenteel niet bereikbaar. Spreek een bericht in, dan bel ik u zo snel mogelijk terug.",
  "Welkom bij tandartspraktijk De Molen. Wij zijn op dit moment gesloten. Onze openingstijden zijn maandag tot en met vrijdag van negen tot vijf uur.",
  "Hoi, met Lisa. Ik kan de telefoon nu niet opnemen. Spreek een berichtje in.",
  "Het nummer dat u heeft gekozen is niet bereikbaar. Spreek na de toon uw bericht in.",
  "Goedendag, u bent verbonden met de voicemail van Pieter Jansen. Laat uw naam en nummer achter, dan bel ik u later terug.",
  "Met de voicemail van Sanne. Ik ben er niet, spreek maar iets in.",
  "Dit is de voicemail van het klantcontactcentrum. Al onze medewerkers zijn in gesprek. Laat een bericht achter met uw naam en telefoonnummer.",
];

const HUMAN_EN = [
  "Hello?",
  "Hello, this is Mark.",
  "Yes?",
  "Hi.",
  "Yeah, hello?",
  "Mark speaking.",
  "Good morning, Sarah speaking.",
  "Hello, who is this?",
  "Hey.",
  "Acme Dental, hello?",
];

const HUMAN_NL = [
  "Hallo?",
  "Met Anna.",
  "Ja?",
  "Met Jan de Vries.",
  "Hallo, met Pieter.",
  "Goedemiddag, met Sanne.",
  "Ja, hallo?",
  "Met Mark.",
];

const ESPEAK_EN = ["en-us", "en-gb", "en-us+f3", "en-gb+m3"];
const ESPEAK_NL = ["nl", "nl+f2", "nl+m3"];
const FLITE = Object.keys(FLITE_VOICES);
const BEEP_HZ = [440, 600, 850, 1000, 1400, 1850];

/** mulberry32: the same corpus on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The item list: ≥ 60 of each class, English and Dutch, both synthesizers, varied timing. */
export function corpusSpec(seed = 17): AmdItemSpec[] {
  const rnd = random(seed);
  const between = (lo: number, hi: number) => Math.round(lo + rnd() * (hi - lo));
  const pick = <T>(list: T[], i: number) => list[i % list.length];
  const items: AmdItemSpec[] = [];
  const add = (label: AmdLabel, engine: "espeak" | "flite", lang: "en" | "nl", voice: string, text: string) => {
    const n = items.length;
    const machine = label === "machine";
    items.push({
      id: `${label}-${String(n).padStart(3, "0")}`,
      label,
      engine,
      lang,
      voice,
      wpm: between(145, 195),
      text,
      // Machines start their greeting within ~1 s of answering; people answer and speak within ~1 s too.
      leadMs: machine ? between(100, 1200) : between(150, 1000),
      beep:
        machine && rnd() < 0.5
          ? { gapMs: between(150, 700), ms: between(200, 900), hz: pick(BEEP_HZ, between(0, 5)) }
          : null,
      tailMs: machine ? 2500 : 5000,
      hiss: rnd() < 0.35,
    });
  };
  MACHINE_EN.forEach((t, i) => {
    add("machine", "espeak", "en", pick(ESPEAK_EN, i), t);
    add("machine", "espeak", "en", pick(ESPEAK_EN, i + 1), t);
    add("machine", "flite", "en", pick(FLITE, i), t);
  });
  MACHINE_NL.forEach((t, i) => {
    add("machine", "espeak", "nl", pick(ESPEAK_NL, i), t);
    add("machine", "espeak", "nl", pick(ESPEAK_NL, i + 1), t);
  });
  HUMAN_EN.forEach((t, i) => {
    add("human", "espeak", "en", pick(ESPEAK_EN, i), t);
    add("human", "espeak", "en", pick(ESPEAK_EN, i + 2), t);
    add("human", "flite", "en", pick(FLITE, i), t);
    add("human", "flite", "en", pick(FLITE, i + 1), t);
  });
  HUMAN_NL.forEach((t, i) => {
    add("human", "espeak", "nl", pick(ESPEAK_NL, i), t);
    add("human", "espeak", "nl", pick(ESPEAK_NL, i + 1), t);
    add("human", "espeak", "nl", pick(ESPEAK_NL, i + 2), t);
  });
  return items;
}

const RATE = 8000;

function run(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr?.toString() ?? r.error}`);
  return r.stdout;
}

const toInt16 = (b: Buffer) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~1)));

/** Any WAV (or raw at `rate`) to 8 kHz mono 16-bit raw samples. */
function to8k(args: string[]): Int16Array {
  return toInt16(run("sox", [...args, "-t", "raw", "-r", String(RATE), "-c", "1", "-e", "signed", "-b", "16", "-"]));
}

async function speak(spec: AmdItemSpec, dir: string): Promise<Int16Array> {
  const wav = join(dir, `${spec.id}.tts.wav`);
  if (spec.engine === "espeak") {
    run("espeak-ng", ["-v", spec.voice, "-s", String(spec.wpm), "-w", wav, spec.text]);
    return to8k([wav]);
  }
  const tts = new FliteTts(spec.voice);
  const parts: Int16Array[] = [];
  for await (const pcm of tts.synthesize({ text: spec.text, signal: AbortSignal.timeout(20_000) })) parts.push(pcm);
  const pcm = concat(parts);
  const raw = ["-t", "raw", "-c", "1", "-e", "signed", "-b", "16"];
  return toInt16(
    run(
      "sox",
      [...raw, "-r", String(tts.sampleRateHz), "-", ...raw, "-r", String(RATE), "-"],
      Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength),
    ),
  );
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** First and last 10 ms block louder than -40 dBFS: where the synthesized speech really is. */
function speechBounds(pcm: Int16Array): { start: number; end: number } {
  const block = RATE / 100;
  let start = -1;
  let end = -1;
  for (let b = 0; b * block < pcm.length; b++) {
    let e = 0;
    const to = Math.min(pcm.length, (b + 1) * block);
    for (let i = b * block; i < to; i++) e += pcm[i] * pcm[i];
    if (Math.sqrt(e / (to - b * block)) > 330) {
      if (start < 0) start = b * block;
      end = to;
    }
  }
  return { start: Math.max(0, start), end: Math.max(0, end) };
}

const ms = (samples: number) => (samples / RATE) * 1000;
const silence = (milliseconds: number) => new Int16Array(Math.round((milliseconds / 1000) * RATE));

async function build(spec: AmdItemSpec, dir: string): Promise<AmdItem> {
  const speech = await speak(spec, dir);
  const bounds = speechBounds(speech);
  const parts = [silence(spec.leadMs), speech];
  let beepStart: number | null = null;
  let beepEnd: number | null = null;
  const lead = silence(spec.leadMs).length;
  if (spec.beep) {
    parts.push(silence(spec.beep.gapMs));
    const tone = toInt16(
      run("sox", [
        "-n",
        "-t",
        "raw",
        "-r",
        String(RATE),
        "-c",
        "1",
        "-e",
        "signed",
        "-b",
        "16",
        "-",
        "synth",
        String(spec.beep.ms / 1000),
        "sine",
        String(spec.beep.hz),
        "vol",
        "0.4",
      ]),
    );
    beepStart = ms(lead + speech.length + silence(spec.beep.gapMs).length);
    beepEnd = beepStart + ms(tone.length);
    parts.push(tone);
  }
  parts.push(silence(spec.tailMs));
  const clean = concat(parts);
  if (spec.hiss) {
    const noise = toInt16(
      run("sox", [
        "-n",
        "-t",
        "raw",
        "-r",
        String(RATE),
        "-c",
        "1",
        "-e",
        "signed",
        "-b",
        "16",
        "-",
        "synth",
        String(clean.length / RATE),
        "whitenoise",
        "vol",
        "0.004",
      ]),
    );
    for (let i = 0; i < clean.length && i < noise.length; i++)
      clean[i] = Math.max(-32768, Math.min(32767, clean[i] + noise[i]));
  }
  // The telephone line: 8 kHz μ-law and back, as the call's codec delivers it.
  const mulaw = join(dir, `${spec.id}.ulaw.wav`);
  run(
    "sox",
    [
      "-t",
      "raw",
      "-r",
      String(RATE),
      "-c",
      "1",
      "-e",
      "signed",
      "-b",
      "16",
      "-",
      "-r",
      String(RATE),
      "-e",
      "u-law",
      mulaw,
    ],
    Buffer.from(clean.buffer),
  );
  const file = join(dir, `${spec.id}.wav`);
  run("sox", [mulaw, "-e", "signed", "-b", "16", file]);
  return {
    ...spec,
    file,
    durationMs: ms(clean.length),
    speechStartMs: ms(lead + bounds.start),
    speechEndMs: ms(lead + bounds.end),
    beepStartMs: beepStart,
    beepEndMs: beepEnd,
  };
}

const tool = (cmd: string, arg: string) => spawnSync(cmd, [arg], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "";

/** Generates the corpus (or reads it from the cache) and returns its items. */
export async function amdCorpus(seed = 17): Promise<AmdItem[]> {
  const spec = corpusSpec(seed);
  const key = createHash("sha256")
    .update(JSON.stringify({ v: 1, spec, espeak: tool("espeak-ng", "--version"), sox: tool("sox", "--version") }))
    .digest("hex")
    .slice(0, 16);
  const dir = join(tmpdir(), `voicedock-amd-corpus-${key}`);
  const manifest = join(dir, "manifest.json");
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, "utf8")) as AmdItem[];
  mkdirSync(dir, { recursive: true });
  const items: AmdItem[] = [];
  for (const s of spec) items.push(await build(s, dir));
  writeFileSync(`${manifest}.tmp`, JSON.stringify(items, null, 1));
  renameSync(`${manifest}.tmp`, manifest);
  return items;
}

/** An item's samples (8 kHz 16-bit, after μ-law). */
export const itemSamples = (item: AmdItem): Int16Array => readWav(item.file).samples;
