// A console on another machine of the LAN, for test/integration/console-lan.test.ts: run inside a network
// namespace (`ip netns exec NS node --import tsx test/support/lan-console.ts`), it joins a call's audio over
// the engine's API across that network as the console does — the offer without candidates, its candidates by
// PATCH (trickle ICE) — with the engine's own candidates kept from it, so only the engine's checks towards the
// trickled candidates can connect. Then it speaks a WAV and records what it hears.
//
// In (environment): VD_URL, VD_KEY, VD_CALL, VD_SPEAK (an 8 kHz WAV), VD_LISTEN_MS.
// Out (stdout, one JSON object per line): {answer, candidates, location}, then {connectedMs}, then {heard} (base64
// of the 8 kHz samples received after connecting, in arrival order); {error} if anything fails.
import { iceCredentials, iceFragment } from "../../renderer/src/audio/trickle.js";
import { readWav } from "./audio.js";
import { testBrowser } from "./webrtc-browser.js";

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const say = (m: object) => process.stdout.write(JSON.stringify(m) + "\n");

async function main(): Promise<void> {
  const url = env("VD_URL");
  const auth = { authorization: `Bearer ${env("VD_KEY")}` };
  const browser = await testBrowser({ trickle: true });
  const res = await fetch(`${url}/api/v1/calls/${env("VD_CALL")}/webrtc`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/sdp" },
    body: browser.offer,
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`the offer was answered ${res.status}: ${answer}`);
  const location = res.headers.get("location")!;
  say({ answer, candidates: browser.candidates, location });

  const mid = /^a=mid:(\S+)/m.exec(browser.offer)![1];
  const fragment = iceFragment(
    iceCredentials(browser.offer)!,
    browser.candidates.map((candidate) => ({ candidate, sdpMid: mid })),
    true,
  );
  const patched = await fetch(url + location, {
    method: "PATCH",
    headers: { ...auth, "content-type": "application/trickle-ice-sdpfrag" },
    body: fragment,
  });
  if (patched.status !== 204)
    throw new Error(`the candidates were answered ${patched.status}: ${await patched.text()}`);

  const started = performance.now();
  await browser.pc.setRemoteDescription({
    type: "answer",
    sdp: answer
      .split("\n")
      .filter((l) => !/^a=(candidate:|end-of-candidates)/.test(l))
      .join("\n"),
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not connected in 10 s (${browser.pc.connectionState})`)), 10_000);
    const check = () => {
      if (browser.pc.connectionState !== "connected") return;
      clearTimeout(timer);
      resolve();
    };
    check();
    browser.pc.connectionStateChange.subscribe(check);
  });
  const connectedAt = performance.now();
  say({ connectedMs: connectedAt - started });

  await browser.speak(readWav(env("VD_SPEAK")).samples);
  const listenUntil = connectedAt + Number(env("VD_LISTEN_MS"));
  await new Promise((r) => setTimeout(r, Math.max(0, listenUntil - performance.now())));
  const frames = browser.heard.filter((h) => h.at >= connectedAt).map((h) => h.pcm);
  const heard = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    heard.set(f, o);
    o += f.length;
  }
  say({ heard: Buffer.from(heard.buffer, heard.byteOffset, heard.byteLength).toString("base64") });
  await fetch(url + location, { method: "DELETE", headers: auth });
  await browser.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say({ error: (err as Error).stack ?? String(err) });
    process.exit(1);
  },
);
