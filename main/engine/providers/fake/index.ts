/** Deterministic providers for unit tests: no models, no network, no audio devices. */
export { FakeStt, FakeStreamingStt, type FakeSttOptions, type FakeSttResult } from "./stt.js";
export { FakeLlm, words, type FakeLlmStep, type FakeLlmTurn, type FakeLlmRequest } from "./llm.js";
export { FakeTts, type FakeTtsOptions } from "./tts.js";
export { FakeVad } from "./vad.js";
