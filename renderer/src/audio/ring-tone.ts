import { chosen, routeOutput } from "./devices";

const RATE = 8000;

/** A ring cadence (1 s of 440+480 Hz, 2 s of silence: the North American ring) as a WAV blob URL. */
function ringWav(): string {
  const n = RATE * 3;
  const data = new DataView(new ArrayBuffer(44 + n * 2));
  const text = (at: number, s: string) => [...s].forEach((c, i) => data.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  data.setUint32(4, 36 + n * 2, true);
  text(8, "WAVEfmt ");
  data.setUint32(16, 16, true);
  data.setUint16(20, 1, true);
  data.setUint16(22, 1, true);
  data.setUint32(24, RATE, true);
  data.setUint32(28, RATE * 2, true);
  data.setUint16(32, 2, true);
  data.setUint16(34, 16, true);
  text(36, "data");
  data.setUint32(40, n * 2, true);
  for (let i = 0; i < RATE; i++) {
    const t = i / RATE;
    const v = 0.25 * (Math.sin(2 * Math.PI * 440 * t) + Math.sin(2 * Math.PI * 480 * t));
    data.setInt16(44 + i * 2, Math.round(v * 16000), true);
  }
  return URL.createObjectURL(new Blob([data.buffer], { type: "audio/wav" }));
}

let url: string | null = null;
let el: HTMLAudioElement | null = null;

/** Rings on the profile's ring device (its own output, so speakers can ring while the headset is on a call). */
export async function startRinging(): Promise<void> {
  url ??= ringWav();
  if (!el) {
    el = Object.assign(new Audio(url), { loop: true });
    el.dataset.testid = "ring-tone";
  }
  await routeOutput(el, chosen().ring);
  // Without a gesture on the page yet, the browser may refuse to play: the banner still shows the call.
  await el.play().catch(() => undefined);
}

export function stopRinging(): void {
  el?.pause();
  if (el) el.currentTime = 0;
}
