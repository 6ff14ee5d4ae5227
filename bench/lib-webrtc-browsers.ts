// The browsers of `npm run bench -- webrtc`, in a process of their own (so the engine's CPU figure is the
// engine's alone): N independent werift peers (test/support/webrtc-browser.ts, offering PCMU, or Opus and
// PCMU as Chromium does), driven by the bench over IPC. Each sends a train of tone bursts on its microphone and keeps, per
// packet sent and received, the time (epoch ms: performance.timeOrigin + performance.now()), the RTP
// sequence number and SSRC on the wire, and where the packet turns loud, so the bench can find the same
// packets in its tcpdump capture.
import { testBrowser, type TestBrowser } from "../test/support/webrtc-browser.js";

export type ToBrowsers =
  | { type: "open"; n: number; opus: boolean }
  | { type: "answers"; sdps: string[] }
  | { type: "speak"; bursts: number; periodMs: number }
  | { type: "report"; loud: number }
  | { type: "close" };

export interface SentPacket {
  at: number;
  seq: number;
  ssrc: number;
  peak: number;
}
export interface HeardPacket {
  at: number;
  seq: number;
  ssrc: number;
  /** Index of the first sample above the bench's threshold, -1 if none. */
  loudIdx: number;
}
export type FromBrowsers =
  | { type: "offers"; offers: string[] }
  | { type: "connected"; at: number[]; codecs: (string | null)[] }
  | { type: "spoken" }
  | { type: "report"; browsers: { sent: SentPacket[]; heard: HeardPacket[] }[] }
  | { type: "error"; error: string };

const RATE = 8000;
const BURST_MS = 40;
const AMPLITUDE = 16000;

/**
 * `count` bursts of a 1 kHz tone (peak 16000, its first sample at the peak), one every `periodMs`, after
 * `leadMs` of silence, then `tailMs` of it. Periods of whole packets keep each burst aligned to a packet.
 */
export function burstTrain(count: number, periodMs: number, leadMs = 0, tailMs = 0): Int16Array {
  const per = (periodMs * RATE) / 1000;
  const lead = (leadMs * RATE) / 1000;
  const pcm = new Int16Array(lead + count * per + (tailMs * RATE) / 1000);
  for (let b = 0; b < count; b++)
    for (let i = 0; i < (BURST_MS * RATE) / 1000; i++)
      pcm[lead + b * per + i] = Math.round(AMPLITUDE * Math.cos((2 * Math.PI * 1000 * i) / RATE));
  return pcm;
}

const epoch = (t: number) => performance.timeOrigin + t;
let browsers: TestBrowser[] = [];
const reply = (m: FromBrowsers) => process.send!(m);

// Only as the bench's child (the bench imports burstTrain from here too).
if (process.send)
  process.on("message", async (m: ToBrowsers) => {
    try {
      if (m.type === "open") {
        browsers = await Promise.all(Array.from({ length: m.n }, () => testBrowser({ opus: m.opus })));
        reply({ type: "offers", offers: browsers.map((b) => b.offer) });
      } else if (m.type === "answers") {
        await Promise.all(browsers.map((b, i) => b.pc.setRemoteDescription({ type: "answer", sdp: m.sdps[i] })));
        const at = await Promise.all(
          browsers.map(
            (b) =>
              new Promise<number>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error("a browser did not connect in 10 s")), 10_000);
                const check = () => {
                  if (b.pc.connectionState !== "connected") return false;
                  clearTimeout(timer);
                  resolve(epoch(performance.now()));
                  return true;
                };
                if (!check()) b.pc.connectionStateChange.subscribe(() => void check());
              }),
          ),
        );
        reply({ type: "connected", at, codecs: browsers.map((b) => b.codec()) });
      } else if (m.type === "speak") {
        const pcm = burstTrain(m.bursts, m.periodMs, 0, 500);
        await Promise.all(browsers.map((b) => b.speak(pcm)));
        reply({ type: "spoken" });
      } else if (m.type === "report") {
        reply({
          type: "report",
          browsers: browsers.map((b) => ({
            sent: b.sent.map((s) => ({ ...s, at: epoch(s.at) })),
            heard: b.heard.map((h) => ({
              at: epoch(h.at),
              seq: h.seq,
              ssrc: h.ssrc,
              loudIdx: h.pcm.findIndex((v) => Math.abs(v) > m.loud),
            })),
          })),
        });
      } else if (m.type === "close") {
        await Promise.all(browsers.map((b) => b.close()));
        process.exit(0);
      }
    } catch (err) {
      reply({ type: "error", error: (err as Error).stack ?? String(err) });
    }
  });
