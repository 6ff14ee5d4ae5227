/** Main thread → VAD thread. */
export type ToVad =
  /**
   * A call's detector. With `ring` (a `callShared` buffer the media worker copies caller frames into) the
   * thread reads the caller itself; without one, frames come as `push` messages.
   */
  | { op: "open"; id: number; ring: SharedArrayBuffer | null }
  | { op: "push"; id: number; pcm: Int16Array }
  | { op: "close"; id: number }
  /** Round trip: answered once the model is loaded and every message before it handled. */
  | { op: "ping"; token: number };

/** VAD thread → main thread. */
export type FromVad =
  /** One 32 ms window's speech probability; `endSample` counts the call's samples up to the window's end. */
  | { op: "p"; id: number; p: number; endSample: number }
  | { op: "failed"; message: string }
  | { op: "pong"; token: number };
