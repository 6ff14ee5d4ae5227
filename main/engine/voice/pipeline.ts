/**
 * The voice session's former module path, kept so that calls/ (being rewritten in parallel) and the
 * post-call report keep importing from here until they move to ./session.js.
 */
export { VoiceSession, VoicePipeline, FALLBACK, type VoiceSessionOptions, type PipelineOptions, type EndReason, type PipelineHost, type TurnMetrics } from "./session.js";
