// A browser's side of a web call (features.md §7): the microphone to the engine over WebRTC and the
// assistant's voice back. It needs only the `{token, server_url}` that POST /web-calls returned, so a
// customer's own page can use it the same way (the API key stays on their backend). The signalling is WHIP
// (RFC 9725): one POST of the SDP offer, a DELETE to hang up.
import { gathered } from "../audio/ice";

export interface WebCallOptions {
  /** Microphone constraints on top of Chromium's echo cancellation, noise suppression and gain control. */
  audio?: MediaTrackConstraints;
  /** Where the assistant is heard; a hidden element is made when none is given. */
  output?: HTMLAudioElement;
}

export type WebCallState = "connecting" | "connected" | "ended" | "failed";

export interface WebCall {
  readonly callId: string | null;
  readonly state: WebCallState;
  onState(listener: (state: WebCallState, reason?: string) => void): () => void;
  /** The assistant's level now, 0–1 (RMS of the received audio), for a meter. */
  remoteLevel(): number;
  /** The caller's microphone level now, 0–1. */
  localLevel(): number;
  mute(on: boolean): void;
  hangUp(): Promise<void>;
}

export async function startWebCall(serverUrl: string, token: string, opts: WebCallOptions = {}): Promise<WebCall> {
  const mic = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, ...opts.audio },
  });
  const pc = new RTCPeerConnection();
  for (const track of mic.getAudioTracks()) pc.addTrack(track, mic);
  const remote = new MediaStream();
  pc.ontrack = (e) => remote.addTrack(e.track);
  const output = opts.output ?? Object.assign(document.createElement("audio"), { hidden: true });
  output.autoplay = true;
  output.srcObject = remote;

  const listeners = new Set<(s: WebCallState, reason?: string) => void>();
  let state: WebCallState = "connecting";
  let location: string | null = null;
  let callId: string | null = null;
  const set = (s: WebCallState, reason?: string) => {
    if (state === s || state === "ended" || state === "failed") return;
    state = s;
    for (const l of listeners) l(s, reason);
  };
  const release = () => {
    for (const t of mic.getTracks()) t.stop();
    output.srcObject = null;
    void audioCtx.close();
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "connected") set("connected");
    else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
      set(pc.connectionState === "failed" ? "failed" : "ended", pc.connectionState);
      release();
    }
  };

  const audioCtx = new AudioContext();
  const meter = (stream: MediaStream) => {
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    audioCtx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    return () => {
      if (stream.getAudioTracks().length === 0) return 0;
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      return Math.sqrt(sum / buf.length);
    };
  };
  const localLevel = meter(mic);
  let remoteMeter: (() => number) | null = null;
  pc.addEventListener("track", () => {
    remoteMeter ??= meter(remote);
  });

  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(serverUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" },
      body: pc.localDescription!.sdp,
    });
    if (res.status !== 201) {
      const body = await res.json().catch(() => ({}) as { message?: string });
      throw new Error(body.message ?? `The engine refused the web call (${res.status})`);
    }
    location = new URL(res.headers.get("location") ?? "", serverUrl).href;
    callId = res.headers.get("x-call-id");
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  } catch (err) {
    pc.close();
    release();
    set("failed", (err as Error).message);
    throw err;
  }

  return {
    get callId() {
      return callId;
    },
    get state() {
      return state;
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    remoteLevel: () => remoteMeter?.() ?? 0,
    localLevel,
    mute(on) {
      for (const t of mic.getAudioTracks()) t.enabled = !on;
    },
    async hangUp() {
      if (state === "ended" || state === "failed") return;
      if (location) await fetch(location, { method: "DELETE" }).catch(() => undefined);
      pc.close();
      release();
      set("ended", "hung up");
    },
  };
}
