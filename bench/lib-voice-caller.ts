// The caller of `npm run bench -- voice`, run as its own process (child_process.fork) so that what it
// measures is the wire, not our media worker: plain dgram sockets, PCMU, RTP written by hand. It sends
// 20 ms packets all the time (speech from WAV files, else silence, as a phone does), timestamps every
// packet it sends and receives (performance.timeOrigin + now: the same epoch clock as the engine's
// process), and finds audible samples by energy in 5 ms windows.
import { createSocket, type Socket } from "node:dgram";
import { PCMU } from "../main/engine/media/codecs/g711.js";
import { readWav } from "../test/support/audio.js";

export interface CallerScript {
  enginePort: number;
  wavs: string[];
  turns: number;
  bargeIns: number;
  thresholdDbfs: number;
}
export interface CallerTurn {
  wav: string;
  firstAudibleAt: number;
  lastAudibleAt: number;
  replyAt: number | null;
}
export interface CallerBargeIn {
  startAt: number;
  stoppedAt: number | null;
}
export interface CallerResult {
  turns: CallerTurn[];
  bargeIns: CallerBargeIn[];
  sent: number;
  received: number;
  sendLateP99: number;
}

const FRAME = 160;
const WINDOW = 40; // 5 ms
const epoch = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start (offsets in samples) of every audible 5 ms window of `pcm`. */
function audibleWindows(pcm: Int16Array, threshold: number): number[] {
  const out: number[] = [];
  for (let w = 0; w + WINDOW <= pcm.length; w += WINDOW) {
    let e = 0;
    for (let i = w; i < w + WINDOW; i++) e += pcm[i] * pcm[i];
    if (Math.sqrt(e / WINDOW) >= threshold) out.push(w);
  }
  return out;
}

async function run(sock: Socket, s: CallerScript): Promise<CallerResult> {
  const threshold = 32768 * 10 ** (s.thresholdDbfs / 20);
  const speech = s.wavs.map((p) => readWav(p).samples);
  /** Audible windows the caller heard, as epoch times of their first sample. */
  const heard: number[] = [];
  let received = 0;
  const pcmIn = new Int16Array(FRAME * 4);
  sock.on("message", (msg) => {
    const at = epoch();
    if (msg.length < 12 || (msg[1] & 0x7f) !== 0) return; // PCMU only (DTMF events and RTCP aside)
    let off = 12 + 4 * (msg[0] & 0x0f);
    if (msg[0] & 0x10) off += 4 + 4 * msg.readUInt16BE(off + 2);
    const n = PCMU.decode(msg.subarray(off), pcmIn.subarray(0, msg.length - off));
    received++;
    for (const w of audibleWindows(pcmIn.subarray(0, n), threshold)) heard.push(at + w / 8);
  });

  // The sender: one packet per 20 ms on absolute deadlines; `queue` holds the speech still to send.
  let queue: Int16Array | null = null;
  let queueAt = 0;
  let lastAudibleAt = 0;
  let firstAudibleAt = 0;
  let sent = 0;
  const late: number[] = [];
  const packet = Buffer.alloc(12 + FRAME);
  const frame = new Int16Array(FRAME);
  const ssrc = (Math.random() * 2 ** 32) >>> 0;
  const start = performance.now();
  let running = true;
  const tick = () => {
    if (!running) return;
    const due = start + sent * 20;
    late.push(performance.now() - due);
    frame.fill(0);
    if (queue) {
      const n = Math.min(FRAME, queue.length - queueAt);
      frame.set(queue.subarray(queueAt, queueAt + n));
      queueAt += n;
      if (queueAt >= queue.length) queue = null;
    }
    packet[0] = 0x80;
    packet[1] = 0;
    packet.writeUInt16BE(sent & 0xffff, 2);
    packet.writeUInt32BE((sent * FRAME) >>> 0, 4);
    packet.writeUInt32BE(ssrc, 8);
    PCMU.encode(frame, packet.subarray(12));
    const at = epoch();
    sock.send(packet, s.enginePort, "127.0.0.1");
    const audible = audibleWindows(frame, threshold);
    if (audible.length) {
      if (!firstAudibleAt) firstAudibleAt = at + audible[0] / 8;
      lastAudibleAt = at + (audible.at(-1)! + WINDOW) / 8;
    }
    sent++;
    setTimeout(tick, Math.max(0, start + sent * 20 - performance.now()));
  };
  tick();

  const say = async (pcm: Int16Array) => {
    firstAudibleAt = 0;
    queue = pcm;
    queueAt = 0;
    while (queue) await sleep(10);
    return { first: firstAudibleAt, last: lastAudibleAt };
  };
  /** First audible window heard after `after`, waiting up to `maxMs`. */
  const replyAfter = async (after: number, maxMs: number) => {
    const until = epoch() + maxMs;
    for (;;) {
      const at = heard.find((h) => h > after);
      if (at !== undefined) return at;
      if (epoch() > until) return null;
      await sleep(5);
    }
  };
  /** Waits until nothing audible has been heard for `gapMs`; returns the end of the last audible window. */
  const quietFor = async (gapMs: number, maxMs = 20_000) => {
    const until = epoch() + maxMs;
    while (epoch() < until) {
      const last = heard.at(-1) ?? 0;
      if (epoch() - last > gapMs) return last + WINDOW / 8;
      await sleep(10);
    }
    return null;
  };

  await sleep(500);
  const turns: CallerTurn[] = [];
  for (let i = 0; i < s.turns; i++) {
    const wav = s.wavs[i % s.wavs.length];
    const { first, last } = await say(speech[i % speech.length]);
    const replyAt = await replyAfter(last, 10_000);
    turns.push({ wav: wav.split("/").at(-1)!, firstAudibleAt: first, lastAudibleAt: last, replyAt });
    await quietFor(700);
    await sleep(300);
  }
  const bargeIns: CallerBargeIn[] = [];
  for (let i = 0; i < s.bargeIns; i++) {
    const { last } = await say(speech[0]);
    const replyAt = await replyAfter(last, 10_000);
    if (replyAt === null) continue;
    // Talk over the reply after it has played a while: the barge-in is what stops it.
    await sleep(350);
    queue = speech[1 % speech.length];
    queueAt = 0;
    firstAudibleAt = 0;
    while (!firstAudibleAt) await sleep(2);
    const startAt = firstAudibleAt;
    // The reply has stopped once 300 ms pass with nothing audible heard (our own speech is not echoed).
    let stoppedAt: number | null = null;
    for (const until = epoch() + 5000; epoch() < until;) {
      const before = heard.filter((h) => h >= startAt - 20);
      const lastHeard = before.at(-1) ?? startAt;
      if (epoch() - lastHeard > 300) {
        stoppedAt = Math.max(startAt, lastHeard + WINDOW / 8);
        break;
      }
      await sleep(5);
    }
    bargeIns.push({ startAt, stoppedAt });
    while (queue) await sleep(10);
    await replyAfter(lastAudibleAt, 10_000);
    await quietFor(700);
    await sleep(300);
  }
  running = false;
  sock.close();
  late.sort((a, b) => a - b);
  return { turns, bargeIns, sent, received, sendLateP99: late[Math.floor(late.length * 0.99)] ?? 0 };
}

if (process.send) {
  // We tell the engine our port; its first message is the script (with its port), and we answer with the result.
  const sock = createSocket("udp4");
  sock.bind(0, "127.0.0.1", () => {
    process.once("message", (script: CallerScript) => {
      void run(sock, script).then(
        (r) => {
          process.send!({ result: r });
          process.exit(0);
        },
        (err) => {
          process.send!({ error: String(err?.stack ?? err) });
          process.exit(1);
        },
      );
    });
    process.send!({ port: sock.address().port });
  });
}
