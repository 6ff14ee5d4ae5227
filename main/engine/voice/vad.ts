export type { VadFactory, VoiceActivityDetector } from "../providers/vad/types.js";
export { sileroVad, warmVad } from "./vad-thread/client.js";
export { sileroModelPath } from "./vad-thread/model-path.js";
