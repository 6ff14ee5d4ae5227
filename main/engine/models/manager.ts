import { statSync } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { EventBus } from "../events/bus.js";
import { CATALOGUE, checkCatalogue, type ModelFileSpec, type ModelSpec } from "./catalogue.js";
import { DownloadError, downloadToPart } from "./downloader.js";
import { ModelError } from "./errors.js";
import { ProgressThrottle } from "./progress.js";
import type { DownloadInfo, ModelInfo } from "./types.js";

export interface ModelManagerOptions {
  /** `<dataDir>/models`: downloads land here, as `<file>.part` until verified. */
  dir: string;
  bus: EventBus;
  catalogue?: readonly ModelSpec[];
  /** A mirror with a flat layout: `<baseUrl>/<file name>` replaces every official URL (offline installs, tests). */
  baseUrl?: string;
  /** Where a built-in model's file is inside the app; null (or a throw) when it is missing. */
  builtinPath?: (fileName: string) => string | null;
  /** Least time between two progress events of one download (state changes are never held back). */
  progressIntervalMs?: number;
  /** Pauses before retrying a dropped connection or a 5xx. */
  retryDelaysMs?: readonly number[];
}

interface Job {
  controller: AbortController;
  info: DownloadInfo;
  throttle: ProgressThrottle;
  done: Promise<void>;
}

/**
 * Downloads, verifies, lists and removes the models the local providers use. One download per model at a
 * time; several models may download at once. Progress goes out as `model.download` events on the bus.
 */
export class ModelManager {
  private readonly specs: Map<string, ModelSpec>;
  private readonly jobs = new Map<string, Job>();
  /** Last download per model, kept after it ends so a client that polls sees how it finished. */
  private readonly last = new Map<string, DownloadInfo>();
  private readonly baseUrl: string | null;

  constructor(private readonly opts: ModelManagerOptions) {
    const catalogue = opts.catalogue ?? CATALOGUE;
    checkCatalogue(catalogue);
    this.specs = new Map(catalogue.map((m) => [m.id, m]));
    this.baseUrl = opts.baseUrl ? opts.baseUrl.replace(/\/+$/, "") : null;
  }

  get dir(): string {
    return this.opts.dir;
  }

  list(): ModelInfo[] {
    return [...this.specs.values()].map((s) => this.describe(s));
  }

  get(id: string): ModelInfo | null {
    const spec = this.specs.get(id);
    return spec ? this.describe(spec) : null;
  }

  /** Installed path of the model file, for the providers; null when it is not (fully) installed. */
  pathOf(id: string): string | null {
    const spec = this.specs.get(id);
    return spec ? this.installedPath(spec) : null;
  }

  /** Starts a download and returns at once; follow it with `get(id).download` or the event bus. */
  download(id: string): ModelInfo {
    const spec = this.spec(id);
    if (spec.builtin) throw new ModelError("model_builtin", `${spec.name} ships with VoiceDock and needs no download`);
    if (this.jobs.has(id))
      throw new ModelError(
        "model_downloading",
        `${spec.name} is already downloading: wait for it, or cancel it with DELETE /api/v1/models/${id}/download`,
      );
    if (this.installedPath(spec))
      throw new ModelError(
        "model_installed",
        `${spec.name} is already installed: delete it first (DELETE /api/v1/models/${id}) to download it again`,
      );

    const now = new Date().toISOString();
    const info: DownloadInfo = {
      state: "downloading",
      received_bytes: 0,
      total_bytes: estimatedSize(spec.files),
      error: null,
      sha256: {},
      started_at: now,
      updated_at: now,
    };
    const job: Job = {
      controller: new AbortController(),
      info,
      throttle: new ProgressThrottle(this.opts.progressIntervalMs ?? 250),
      done: Promise.resolve(),
    };
    this.jobs.set(id, job);
    this.last.set(id, info);
    this.publish(spec.id, job, true);
    job.done = this.run(spec, job).finally(() => this.jobs.delete(id));
    return this.describe(spec);
  }

  /** Stops a running download; its partial file stays so the next download continues from there. */
  async cancel(id: string): Promise<ModelInfo> {
    const spec = this.spec(id);
    const job = this.jobs.get(id);
    if (!job) throw new ModelError("no_download", `No download of ${spec.name} is running`);
    job.controller.abort();
    await job.done;
    return this.describe(spec);
  }

  /** Deletes the model's files and any partial download. */
  async remove(id: string): Promise<ModelInfo> {
    const spec = this.spec(id);
    if (spec.builtin) throw new ModelError("model_builtin", `${spec.name} ships with VoiceDock and cannot be removed`);
    if (this.jobs.has(id))
      throw new ModelError(
        "model_downloading",
        `${spec.name} is downloading: cancel it first (DELETE /api/v1/models/${id}/download)`,
      );
    const paths = spec.files.flatMap((f) => [this.filePath(f), this.filePath(f) + ".part"]);
    const present = paths.filter((p) => statSync(p, { throwIfNoEntry: false }));
    if (present.length === 0) throw new ModelError("not_installed", `${spec.name} is not installed`);
    await Promise.all(present.map((p) => rm(p, { force: true })));
    this.last.delete(id);
    return this.describe(spec);
  }

  /** Aborts every running download (partial files stay) and waits until they have let go of their files. */
  async stop(): Promise<void> {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) job.controller.abort();
    await Promise.all(jobs.map((j) => j.done));
  }

  private async run(spec: ModelSpec, job: Job): Promise<void> {
    const { info, controller } = job;
    try {
      await mkdir(this.opts.dir, { recursive: true });
      let doneBytes = 0;
      for (const [i, file] of spec.files.entries()) {
        const final = this.filePath(file);
        // A model whose first file arrived while a later one failed keeps the verified file.
        const existing = await stat(final).catch(() => null);
        if (existing) {
          doneBytes += existing.size;
          continue;
        }
        if (info.state !== "downloading") {
          info.state = "downloading";
          this.publish(spec.id, job, true);
        }
        const later = sumSizes(spec.files.slice(i + 1), 0) ?? 0;
        const result = await downloadToPart({
          url: this.urlOf(file),
          partPath: final + ".part",
          expectedBytes: file.sizeBytes,
          signal: controller.signal,
          retryDelaysMs: this.opts.retryDelaysMs,
          onBytes: (received, total) => {
            info.received_bytes = doneBytes + received;
            info.total_bytes = total === null ? null : doneBytes + total + later;
            this.publish(spec.id, job);
          },
        });
        info.state = "verifying";
        info.sha256[file.name] = result.sha256;
        this.publish(spec.id, job, true);
        if (file.sha256 !== null && result.sha256 !== file.sha256) {
          // Never keep bytes that are not the published file: a resume would only extend the corruption.
          await rm(final + ".part", { force: true });
          throw new DownloadError(
            `${file.name} is not the published file (expected sha256 ${file.sha256}, got ${result.sha256}); ` +
              "the download was deleted: try again, or check that no proxy or mirror alters it",
            false,
          );
        }
        // Same directory, so the file appears whole or not at all: providers never load half a model.
        await rename(final + ".part", final);
        doneBytes += result.bytes;
      }
      info.state = "installed";
      info.received_bytes = doneBytes;
      info.total_bytes = doneBytes;
    } catch (err) {
      if (controller.signal.aborted) {
        info.state = "cancelled";
      } else {
        info.state = "failed";
        info.error = `Download of ${spec.name} failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    this.publish(spec.id, job, true);
  }

  private publish(modelId: string, job: Job, force = false): void {
    const { info } = job;
    info.updated_at = new Date().toISOString();
    if (!job.throttle.shouldEmit(force)) return;
    this.opts.bus.publish({
      type: "model.download",
      model_id: modelId,
      state: info.state,
      received_bytes: info.received_bytes,
      total_bytes: info.total_bytes,
      error: info.error,
    });
  }

  private spec(id: string): ModelSpec {
    const spec = this.specs.get(id);
    if (!spec)
      throw new ModelError(
        "unknown_model",
        `Model '${id}' does not exist: GET /api/v1/models lists the available ones`,
      );
    return spec;
  }

  private filePath(file: ModelFileSpec): string {
    return join(this.opts.dir, file.name);
  }

  private urlOf(file: ModelFileSpec): string {
    return this.baseUrl ? `${this.baseUrl}/${encodeURIComponent(file.name)}` : file.url;
  }

  private installedPath(spec: ModelSpec): string | null {
    if (spec.builtin) {
      try {
        return this.opts.builtinPath?.(spec.files[0].name) ?? null;
      } catch {
        return null;
      }
    }
    // The .part suffix keeps unfinished files from matching, so existence means verified and complete.
    const complete = spec.files.every((f) => statSync(this.filePath(f), { throwIfNoEntry: false })?.isFile());
    return complete ? this.filePath(spec.files[0]) : null;
  }

  private describe(spec: ModelSpec): ModelInfo {
    const path = this.installedPath(spec);
    const partial = spec.builtin
      ? 0
      : spec.files.reduce(
          (n, f) => n + (statSync(this.filePath(f) + ".part", { throwIfNoEntry: false })?.size ?? 0),
          0,
        );
    const download = this.last.get(spec.id);
    return {
      id: spec.id,
      kind: spec.kind,
      name: spec.name,
      description: spec.description,
      license: spec.license,
      license_url: spec.licenseUrl,
      size_bytes: estimatedSize(spec.files),
      sha256: spec.files[0].sha256,
      urls: spec.files.map((f) => f.url),
      files: spec.files.map((f) => ({ name: f.name, url: f.url, size_bytes: f.sizeBytes, sha256: f.sha256 })),
      builtin: spec.builtin === true,
      installed: path !== null,
      path,
      partial_bytes: partial,
      download: download ? { ...download, sha256: { ...download.sha256 } } : null,
    };
  }
}

/**
 * Size of a model for display and progress: known when the model file's size is; companion files of unknown
 * size (a Piper voice's few-KB .onnx.json) count as 0 rather than hiding the size of a 63 MB download.
 */
function estimatedSize(files: readonly ModelFileSpec[]): number | null {
  return files[0].sizeBytes === null ? null : sumSizes(files, 0);
}

/** Sum of the files' sizes; `unknown` stands for a file whose size the catalogue does not give. */
function sumSizes(files: readonly ModelFileSpec[], unknown: number | null = null): number | null {
  let total = 0;
  for (const f of files) {
    const size = f.sizeBytes ?? unknown;
    if (size === null) return null;
    total += size;
  }
  return total;
}
