import { mediaWorker } from "./worker/host.js";

/** Resolves once a call recording at `path` is complete on disk (the media worker writes it asynchronously). */
export const recordingComplete = (path: string, timeoutMs?: number): Promise<void> => mediaWorker.recordingComplete(path, timeoutMs);
