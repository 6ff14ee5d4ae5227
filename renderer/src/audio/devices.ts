import { reactive, watch } from "vue";

/** "" is the system default (what the OS chose); otherwise a `MediaDeviceInfo.deviceId`. */
export interface DeviceChoice {
  input: string;
  output: string;
  /** Where ringing plays: a second device (speakers) while the call itself is on a headset. */
  ring: string;
}

export type Profile = "headset" | "speakers";

/**
 * The codec this console offers for a call's audio: Opus (the engine answers it whenever offered: robust to a
 * lossy network), or G.711 only (the call's own codec on a phone line: no transcoding, about 20 ms less delay,
 * bench/README.md "Opus beside PCMU").
 */
export type CallCodec = "opus" | "g711";

interface DeviceState {
  profile: Profile;
  codec: CallCodec;
  profiles: Record<Profile, DeviceChoice>;
  inputs: MediaDeviceInfo[];
  outputs: MediaDeviceInfo[];
  /** What the last fallback was about (shown once as a toast; tests read it too). */
  lastFallback: string | null;
}

const STORAGE = "voicedock.audio.devices";
const empty = (): DeviceChoice => ({ input: "", output: "", ring: "" });

type Saved = Pick<DeviceState, "profile" | "profiles" | "codec">;

function restore(): Saved {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE) ?? "null") as Partial<Saved> | null;
    if (saved?.profiles?.headset && saved.profiles.speakers)
      return { profile: saved.profile ?? "headset", profiles: saved.profiles, codec: saved.codec ?? "opus" };
  } catch {
    // A damaged entry is as good as none: system defaults.
  }
  return { profile: "headset", profiles: { headset: empty(), speakers: empty() }, codec: "opus" };
}

/** The person's audio devices, kept per profile in this browser (they belong to this machine, not the engine). */
export const devices = reactive<DeviceState>({ ...restore(), inputs: [], outputs: [], lastFallback: null });
watch(
  () => [devices.profile, devices.profiles, devices.codec],
  () =>
    localStorage.setItem(
      STORAGE,
      JSON.stringify({ profile: devices.profile, profiles: devices.profiles, codec: devices.codec }),
    ),
  { deep: true },
);

/** With G.711 chosen, the offer carries G.711 (and DTMF) only: the engine answers Opus whenever it is offered. */
export function offerCodecs(transceiver: RTCRtpTransceiver, codec: CallCodec = devices.codec): void {
  if (codec === "opus" || !transceiver.setCodecPreferences) return;
  const all = RTCRtpReceiver.getCapabilities?.("audio")?.codecs ?? [];
  const g711 = all.filter((c) => /^audio\/(PCMU|PCMA|telephone-event)$/i.test(c.mimeType));
  if (g711.some((c) => /PCM/i.test(c.mimeType))) transceiver.setCodecPreferences(g711);
}

/** The active profile's choice. */
export const chosen = (): DeviceChoice => devices.profiles[devices.profile];

/** Microphone constraints for the chosen input, with Chromium's echo cancellation, noise suppression and gain. */
export function micConstraints(deviceId = chosen().input): MediaTrackConstraints {
  return {
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
    channelCount: 1,
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
  };
}

type Gone = (kind: "input" | "output" | "ring") => void;
const goneListeners = new Set<Gone>();

/** Tells `listener` when a chosen device went away (the choice is then back on the system default). */
export function onDeviceGone(listener: Gone): () => void {
  goneListeners.add(listener);
  return () => goneListeners.delete(listener);
}

/** Re-reads the device lists; a chosen device no longer present falls back to the default, and listeners hear of it. */
export async function refreshDevices(): Promise<void> {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const all = await navigator.mediaDevices.enumerateDevices();
  devices.inputs = all.filter((d) => d.kind === "audioinput" && d.deviceId !== "default");
  devices.outputs = all.filter((d) => d.kind === "audiooutput" && d.deviceId !== "default");
  // Labels are empty until the page has had microphone permission: then nothing can be told to be gone.
  if (all.every((d) => !d.label)) return;
  for (const profile of Object.values(devices.profiles))
    for (const kind of ["input", "output", "ring"] as const) {
      const id = profile[kind];
      const list = kind === "input" ? devices.inputs : devices.outputs;
      if (!id || list.some((d) => d.deviceId === id)) continue;
      profile[kind] = "";
      if (profile !== chosen()) continue;
      devices.lastFallback = kind;
      for (const l of goneListeners) l(kind);
    }
}

let watching = false;
/** Follows devices being plugged in and out for as long as the console runs. */
export function watchDevices(): void {
  if (watching || !navigator.mediaDevices) return;
  watching = true;
  navigator.mediaDevices.addEventListener("devicechange", () => void refreshDevices());
  void refreshDevices();
}

/** Plays `el` on a device (Chromium's setSinkId); the default when it is gone or unsupported. */
export async function routeOutput(el: HTMLMediaElement, deviceId: string): Promise<boolean> {
  const sink = el as HTMLMediaElement & { sinkId?: string; setSinkId?: (id: string) => Promise<void> };
  if (!sink.setSinkId || sink.sinkId === deviceId) return true;
  try {
    await sink.setSinkId(deviceId);
    return true;
  } catch {
    // The device went away between choosing and using it (or the machine has no output device to switch
    // between): the audio stays where it plays now, never silent because of the choice.
    if (deviceId) await sink.setSinkId("").catch(() => undefined);
    return false;
  }
}
