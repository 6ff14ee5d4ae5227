import { onBeforeUnmount, ref } from "vue";
import { apiBase, apiKey } from "../api/client";
import { gathered } from "./ice";
import { CandidateTrickle, iceCredentials, type PatchResult } from "./trickle";
import { chosen, micConstraints, offerCodecs, onDeviceGone, routeOutput, watchDevices } from "./devices";

/**
 * off → connecting → listen (hears both sides), talk (has the call: the caller hears the person) or coach
 * (hears both sides; only the person who has the call hears this console).
 */
export type ConsoleMode = "off" | "connecting" | "listen" | "talk" | "coach";

/**
 * The engine answered a PATCH with 405 once (an engine without trickle ICE): from then on offers wait for
 * every candidate, as they did before trickle.
 */
let trickleRefused = false;

/**
 * A person on a live call from the console, over WebRTC (POST /calls/{id}/webrtc): Chromium's echo
 * cancellation, noise suppression and gain on the microphone, RTP's own timing and the jitter buffer of the
 * browser on the way back. While only listening, the browser sends a silent track and no microphone is
 * opened; once the person has the call, the microphone replaces it (the same for switching devices).
 */
export function useConsoleAudio(callId: () => string, opts: { onFallback?: (kind: string) => void } = {}) {
  const mode = ref<ConsoleMode>("off");
  const error = ref<string | null>(null);
  /** Far-end level, 0–1, for the meter (what people look at to know the line is alive). */
  const level = ref(0);
  const muted = ref(false);
  /** The session the engine gave this console (takeover names it). */
  const session = ref<string | null>(null);
  /** Coaching: whose ear this console is in (the talking console's key name), when the engine knows. */
  const talker = ref<string | null>(null);
  let pc: RTCPeerConnection | null = null;
  let sender: RTCRtpSender | null = null;
  let mic: MediaStream | null = null;
  let silence: { ctx: AudioContext; track: MediaStreamTrack } | null = null;
  let output: HTMLAudioElement | null = null;
  let meterCtx: AudioContext | null = null;
  let meterTimer = 0;
  let location: string | null = null;
  /** This session's candidates on their way to the engine (trickle ICE). */
  let trickle: CandidateTrickle | null = null;

  watchDevices();
  const stopWatching = onDeviceGone((kind) => {
    opts.onFallback?.(kind);
    if (kind === "input" && speaks()) void useMicrophone();
    if (kind === "output" && output) void routeOutput(output, "");
  });

  /** The microphone is on: the person talks on the call, or coaches the one who does. */
  const speaks = () => mode.value === "talk" || mode.value === "coach";

  function silentTrack(): MediaStreamTrack {
    if (!silence) {
      const ctx = new AudioContext();
      // A track that is on sends packets (silence): the engine takes a leg without packets for a closed tab.
      silence = { ctx, track: ctx.createMediaStreamDestination().stream.getAudioTracks()[0] };
      void ctx.resume();
    }
    return silence.track;
  }

  /** The chosen microphone on the call (again, after a device change); the old one is released. */
  async function useMicrophone(deviceId = chosen().input): Promise<void> {
    let next: MediaStream;
    try {
      next = await navigator.mediaDevices.getUserMedia({ audio: micConstraints(deviceId) });
    } catch (err) {
      // A device picked a moment ago may be gone already: the default keeps the person heard.
      if (!deviceId) throw err;
      next = await navigator.mediaDevices.getUserMedia({ audio: micConstraints("") });
      opts.onFallback?.("input");
    }
    const track = next.getAudioTracks()[0];
    track.enabled = !muted.value;
    track.addEventListener("ended", () => {
      // Unplugged mid-call: Chromium ends the track before devicechange arrives.
      if (speaks() && mic === next) void useMicrophone("").then(() => opts.onFallback?.("input"));
    });
    await sender?.replaceTrack(track);
    mic?.getTracks().forEach((t) => t.stop());
    mic = next;
  }

  /**
   * Joins the call's audio: `coach` whispers to the person who has the call. The offer goes out at once and
   * the candidates follow by PATCH (trickle ICE); an engine that refuses PATCH (405) gets a new offer with
   * every candidate in it.
   */
  async function join(as: "coach" | null = null): Promise<void> {
    // One audio session per console and call: a second click (or a status update) while joining is a no-op.
    if (mode.value !== "off") return;
    error.value = null;
    mode.value = "connecting";
    const startedAt = performance.now();
    const trickled = !trickleRefused;
    try {
      pc = new RTCPeerConnection();
      const remote = new MediaStream();
      pc.ontrack = (e) => remote.addTrack(e.track);
      const transceiver = pc.addTransceiver(silentTrack(), { direction: "sendrecv" });
      offerCodecs(transceiver);
      sender = transceiver.sender;
      output = Object.assign(document.createElement("audio"), { autoplay: true, hidden: true });
      output.dataset.testid = "console-audio-output";
      document.body.appendChild(output);
      output.srcObject = remote;
      await routeOutput(output, chosen().output);
      const thisPc = pc;
      pc.onconnectionstatechange = () => {
        if (thisPc.connectionState === "connected")
          performance.measure("voicedock:console-audio-setup", {
            start: startedAt,
            end: performance.now(),
            detail: { trickle: trickled },
          });
        if (pc === thisPc && thisPc.connectionState === "failed") {
          error.value = "The call's audio connection failed";
          leave();
        }
      };
      await pc.setLocalDescription(await pc.createOffer());
      const ice = iceCredentials(pc.localDescription!.sdp);
      if (trickled && ice) {
        trickle = new CandidateTrickle(ice, () => {
          // An engine without trickle: start again, this time with every candidate in the offer.
          trickleRefused = true;
          if (pc !== thisPc) return;
          leave();
          void join(as);
        });
        const t: CandidateTrickle = trickle;
        pc.onicecandidate = (e) =>
          t.add(e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid } : null);
        // Gathering may already be over (candidates found before the handler was set are in the description).
        if (pc.iceGatheringState === "complete") t.add(null);
      } else await gathered(pc);
      const offer = pc.localDescription!.sdp;
      trickle?.sentInOffer(offer);
      const query = as === "coach" ? "?mode=coach" : "";
      const res = await fetch(`${apiBase()}/api/v1/calls/${encodeURIComponent(callId())}/webrtc${query}`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey() ?? ""}`, "content-type": "application/sdp" },
        body: offer,
      });
      if (res.status !== 201) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new Error(body.message ?? `The engine refused the call's audio (${res.status})`);
      }
      location = res.headers.get("location");
      session.value = location?.split("/").pop() ?? null;
      const said = res.headers.get("x-console-mode");
      const given = said === "talk" || said === "coach" ? said : "listen";
      const named = res.headers.get("x-console-talker");
      talker.value = named ? decodeURIComponent(named) : null;
      await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
      const at = location;
      if (at) trickle?.start((fragment) => patch(at, fragment));
      meter(remote);
      await setMode(given);
    } catch (e) {
      error.value = (e as Error).message;
      leave();
    }
  }

  /** One PATCH of trickled candidates to the session (RFC 9725 §4.3). */
  async function patch(at: string, fragment: string): Promise<PatchResult> {
    const res = await fetch(`${apiBase()}${at}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${apiKey() ?? ""}`, "content-type": "application/trickle-ice-sdpfrag" },
      body: fragment,
    });
    return res.status === 204 || res.ok ? "ok" : res.status === 405 || res.status === 501 ? "unsupported" : "failed";
  }

  /** The engine's word on who talks (after joining, a takeover or a hand-back, a coach's talker leaving). */
  async function setMode(next: "listen" | "talk" | "coach"): Promise<void> {
    if (!pc) return;
    if (next !== "listen") await useMicrophone();
    else {
      await sender?.replaceTrack(silentTrack());
      mic?.getTracks().forEach((t) => t.stop());
      mic = null;
    }
    mode.value = next;
  }

  function meter(stream: MediaStream): void {
    meterCtx = new AudioContext();
    const analyser = meterCtx.createAnalyser();
    analyser.fftSize = 1024;
    meterCtx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    meterTimer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const x of buf) sum += x * x;
      level.value = level.value * 0.6 + Math.sqrt(sum / buf.length) * 0.4;
    }, 100);
  }

  function mute(on: boolean): void {
    muted.value = on;
    for (const t of mic?.getAudioTracks() ?? []) t.enabled = !on;
  }

  /** Another microphone or speaker, mid-call. */
  async function switchDevices(): Promise<void> {
    if (output) await routeOutput(output, chosen().output);
    if (speaks()) await useMicrophone();
  }

  function leave(): void {
    if (location)
      void fetch(`${apiBase()}${location}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${apiKey() ?? ""}` },
      }).catch(() => undefined);
    location = null;
    trickle?.stop();
    trickle = null;
    session.value = null;
    talker.value = null;
    pc?.close();
    pc = null;
    sender = null;
    mic?.getTracks().forEach((t) => t.stop());
    mic = null;
    output?.remove();
    output = null;
    clearInterval(meterTimer);
    void meterCtx?.close();
    meterCtx = null;
    level.value = 0;
    mode.value = "off";
  }

  onBeforeUnmount(() => {
    leave();
    stopWatching();
    void silence?.ctx.close();
    silence = null;
  });

  return { mode, error, level, muted, session, talker, join, setMode, mute, switchDevices, leave };
}
