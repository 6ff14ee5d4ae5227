import { ref, type InjectionKey, type Ref } from "vue";
import { apiBase, apiKey } from "./client";
import type { EngineEvent } from "./types";

export type SocketState = "connecting" | "live" | "offline";
/** The stream's state, provided by App.vue for the header. */
export const EVENT_STATE: InjectionKey<Ref<SocketState>> = Symbol("event-state");

/** The engine's event stream, reconnecting with backoff; one socket for the whole console. */
export function useEventStream(onEvent: (e: EngineEvent) => void) {
  const state = ref<SocketState>("connecting");
  let socket: WebSocket | null = null;
  let retryMs = 500;
  let closed = false;

  const connect = () => {
    const key = apiKey();
    if (!key || closed) return;
    state.value = "connecting";
    // role=console: calls to numbers without an assistant ring here while this socket is open.
    const url = `${apiBase().replace(/^http/, "ws")}/api/v1/events?role=console&api_key=${encodeURIComponent(key)}`;
    socket = new WebSocket(url);
    socket.onopen = () => {
      state.value = "live";
      retryMs = 500;
    };
    socket.onmessage = (m) => {
      try {
        onEvent(JSON.parse(String(m.data)));
      } catch {
        /* ignore malformed */
      }
    };
    socket.onclose = () => {
      state.value = "offline";
      if (!closed) {
        setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      }
    };
  };
  connect();
  return {
    state,
    close: () => {
      closed = true;
      socket?.close();
    },
  };
}
