import type { EngineEvent } from "../events/bus.js";
import type { ModelKind } from "./catalogue.js";

export type ModelDownloadEvent = Extract<EngineEvent, { type: "model.download" }>;
export type DownloadState = ModelDownloadEvent["state"];

/** The states in the order a download passes through them; the API schema's enum. */
export const DOWNLOAD_STATES = [
  "downloading",
  "verifying",
  "installed",
  "failed",
  "cancelled",
] as const satisfies readonly DownloadState[];

/** The latest download of a model in this run of the engine (not persisted: a restart forgets it). */
export interface DownloadInfo {
  state: DownloadState;
  received_bytes: number;
  total_bytes: number | null;
  error: string | null;
  /** sha256 of each file as downloaded; the only record of files the catalogue has no checksum for. */
  sha256: Record<string, string>;
  started_at: string;
  updated_at: string;
}

export interface ModelFileInfo {
  name: string;
  url: string;
  size_bytes: number | null;
  sha256: string | null;
}

/** A catalogue entry with what is on this machine: the API's `model` object. */
export interface ModelInfo {
  id: string;
  kind: ModelKind;
  name: string;
  description: string;
  license: string;
  license_url: string | null;
  /** Sum of the files' sizes; null while any size is unknown. */
  size_bytes: number | null;
  /** The model file's checksum (the first file); null when no reference checksum is known. */
  sha256: string | null;
  urls: string[];
  files: ModelFileInfo[];
  builtin: boolean;
  installed: boolean;
  path: string | null;
  /** Bytes of unfinished downloads on disk, which the next download continues from. */
  partial_bytes: number;
  download: DownloadInfo | null;
}
