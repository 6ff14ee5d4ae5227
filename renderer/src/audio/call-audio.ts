import { ref, shallowRef } from "vue";
import { apiBase, apiKey } from "../api/client";

export type AudioMode = "off" | "connecting" | "listening" | "talking";

/**
 * A person on a live call from the console: the call's audio socket (20 ms frames of 8 kHz 16-bit PCM
 * each way), played and captured through an AudioWorklet in an 8 kHz AudioContext, so the browser does
 * the resampling and nothing runs on the main thread per sample.
 */
export function useCallAudio(callId: () => string) {
  const mode = ref<AudioMode>("off");
  const error = ref<string | null>(null);
  /** Caller level, 0–1, for the meter (what people look at to know the line is alive). */
  const level = ref(0);
  const canTalk = ref(false);
  const socket = shallowRef<WebSocket | null>(null);
  let ctx: AudioContext | null = null;
  let mic: MediaStream | null = null;

  async function start(talk: boolean): Promise<void> {
    stop();
    error.value = null;
    mode.value = "connecting";
    try {
      ctx = new AudioContext({ sampleRate: 8000 });
      await ctx.audioWorklet.addModule(new URL("./pcm-worklet.js", import.meta.url));
      const node = new AudioWorkletNode(ctx, "pcm-bridge", {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
      });
      node.connect(ctx.destination);
      const ws = new WebSocket(
        `${apiBase().replace(/^http/, "ws")}/api/v1/calls/${encodeURIComponent(callId())}/audio?api_key=${encodeURIComponent(apiKey() ?? "")}`,
      );
      ws.binaryType = "arraybuffer";
      socket.value = ws;
      ws.onmessage = async (m) => {
        if (typeof m.data === "string") {
          const msg = JSON.parse(m.data) as { type: string; talk?: boolean; message?: string };
          if (msg.type === "error") {
            error.value = msg.message ?? "audio unavailable";
            return;
          }
          canTalk.value = Boolean(msg.talk);
          if (talk && msg.talk) {
            mic = await navigator.mediaDevices.getUserMedia({
              audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
            });
            ctx!.createMediaStreamSource(mic).connect(node);
            node.port.onmessage = (e) => {
              if (ws.readyState === WebSocket.OPEN) ws.send(e.data as ArrayBuffer);
            };
            mode.value = "talking";
          } else mode.value = "listening";
          return;
        }
        const pcm = new Int16Array(m.data as ArrayBuffer);
        let peak = 0;
        for (let i = 0; i < pcm.length; i++) peak = Math.max(peak, Math.abs(pcm[i]));
        level.value = level.value * 0.7 + (peak / 32768) * 0.3;
        node.port.postMessage(m.data, [m.data as ArrayBuffer]);
      };
      ws.onclose = () => {
        if (socket.value === ws) stop();
      };
      await ctx.resume();
    } catch (e) {
      error.value = (e as Error).message;
      stop();
    }
  }

  function stop(): void {
    const ws = socket.value;
    socket.value = null;
    ws?.close();
    mic?.getTracks().forEach((t) => t.stop());
    mic = null;
    void ctx?.close();
    ctx = null;
    level.value = 0;
    mode.value = "off";
  }

  return { mode, error, level, canTalk, start, stop };
}
