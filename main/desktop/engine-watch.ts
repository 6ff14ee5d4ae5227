/**
 * The shell's view of its engine, through the same HTTP API and event stream any client uses: the trunks'
 * registration and the live calls are read once, then kept current from `/api/v1/events`. The socket is
 * reopened after a drop (engine restart, sleep), reading the state again so nothing is missed in between.
 */
import {
  applyEvent,
  emptyState,
  setTrunk,
  type CallLike,
  type DesktopEvent,
  type DesktopNote,
  type DesktopState,
} from "./desktop-state.js";

/** The little of the WHATWG/`ws` WebSocket this needs: Electron's main process has a global one. */
export interface SocketLike {
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
  close(): void;
}

export interface EngineWatchOptions {
  apiBase: string;
  apiKey: string;
  fetch: typeof fetch;
  openSocket: (url: string, headers: Record<string, string>) => SocketLike;
  onChange: (state: DesktopState, notes: DesktopNote[]) => void;
  /** Reconnect delay after a drop; doubles up to 30 s. */
  retryMs?: number;
}

export interface EngineWatch {
  readonly state: DesktopState;
  /** The window was opened: missed calls are seen. */
  clearMissed(): void;
  stop(): void;
}

interface TrunkRow {
  id: string;
  name: string;
  registration: { status: string; reason: string | null };
}

export function watchEngine(o: EngineWatchOptions): EngineWatch {
  let state = emptyState();
  let socket: SocketLike | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let delay = o.retryMs ?? 1000;
  const headers = { authorization: `Bearer ${o.apiKey}` };

  const get = async <T>(path: string): Promise<T> => {
    const res = await o.fetch(`${o.apiBase}${path}`, { headers });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return (await res.json()) as T;
  };

  // Reads run one at a time (a second request waits and reads once more), so two reads never fold the same
  // change into the state twice and notify twice.
  let reading: Promise<void> | null = null;
  let readAgain = false;
  function load(): Promise<void> {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = read().finally(() => {
      reading = null;
      if (readAgain) {
        readAgain = false;
        void load().catch(() => undefined);
      }
    });
    return reading;
  }

  async function read(): Promise<void> {
    const [{ trunks }, { calls }] = await Promise.all([
      get<{ trunks: TrunkRow[] }>("/api/v1/sip-trunks"),
      get<{ calls: CallLike[] }>("/api/v1/calls?status=in-progress&limit=100"),
    ]);
    const next = emptyState();
    next.missed = state.missed;
    const notes: DesktopNote[] = [];
    for (const t of trunks) {
      // Start from what we knew, so a failure seen first here (not by its event) still notifies once.
      const known = state.trunks.get(t.id);
      if (known) next.trunks.set(t.id, known);
      notes.push(
        ...setTrunk(next, t.id, { name: t.name, status: t.registration.status, reason: t.registration.reason }),
      );
    }
    for (const call of calls) applyEvent(next, { type: "call.updated", call });
    state = next;
    o.onChange(state, notes);
  }

  function retry(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      connect();
    }, delay);
    delay = Math.min(delay * 2, 30_000);
  }

  function connect(): void {
    if (stopped) return;
    const ws = o.openSocket(`${o.apiBase.replace(/^http/, "ws")}/api/v1/events?role=observer`, headers);
    socket = ws;
    ws.onmessage = (e) => {
      let event: DesktopEvent;
      try {
        event = JSON.parse(String(e.data)) as DesktopEvent;
      } catch {
        return;
      }
      if (event.type === "hello") {
        delay = o.retryMs ?? 1000;
        // Read the state after subscribing, so an event between the two is not lost.
        load().catch(() => ws.close());
        return;
      }
      // A trunk we do not know yet: read it (name and state) from the API instead; the API's state is at
      // least as new as the event's.
      if (event.type === "trunk.registration" && "trunk_id" in event && !state.trunks.has(event.trunk_id)) {
        load().catch(() => undefined);
        return;
      }
      o.onChange(state, applyEvent(state, event));
    };
    ws.onclose = () => {
      if (socket === ws) socket = null;
      retry();
    };
    ws.onerror = () => ws.close();
  }

  connect();
  return {
    get state() {
      return state;
    },
    clearMissed() {
      state.missed = 0;
      o.onChange(state, []);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.close();
    },
  };
}
