export { ModelManager, type ModelManagerOptions } from "./manager.js";
export { ModelError, type ModelErrorReason } from "./errors.js";
export { CATALOGUE, MODEL_KINDS, type ModelKind, type ModelSpec, type ModelFileSpec } from "./catalogue.js";
export { DOWNLOAD_STATES, type DownloadInfo, type DownloadState, type ModelInfo, type ModelFileInfo } from "./types.js";
