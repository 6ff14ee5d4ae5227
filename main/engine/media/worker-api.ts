import { mediaWorker } from "./worker/host.js";

/**
 * Starts the media worker ahead of the first call (loading its code takes a moment, most from source),
 * so a call's first SDP does not wait for it. The idle worker keeps no process alive.
 */
export const warmMediaWorker = (): Promise<void> => mediaWorker.settled();

/** Resolves once a call recording at `path` is complete on disk (the media worker writes it asynchronously). */
export const recordingComplete = (path: string, timeoutMs?: number): Promise<void> =>
  mediaWorker.recordingComplete(path, timeoutMs);
