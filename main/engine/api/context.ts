import type { WebCalls } from "../calls/web-calls.js";
import type { ConsoleLegs } from "../calls/console-legs.js";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Store } from "../store/index.js";
import type { EventBus } from "../events/bus.js";
import type { CallManager } from "../calls/call-manager.js";
import type { WebhookService } from "../webhooks/service.js";
import type { ModelManager } from "../models/manager.js";
import type { RateLimitOptions } from "./plugins/rate-limit.js";
import type { ConsoleRing } from "../calls/console-ring.js";
import type { CallAudio } from "../media/call-audio.js";
import type { AssistantCheck } from "../calls/provider-check.js";
import type { AssistantRecord } from "../domain/assistant.js";
import type { LoginLinks } from "./login-links.js";
import type { RecordingLinks } from "./recording-links.js";
import type { SipLogEntryView } from "../domain/trunk.js";

/** Attended transfer as the routes use it (telephony's AttendedTransfers); refusals are domain errors. */
export interface AttendedTransferControl {
  consult(callId: string, destination: string): Promise<{ consult_call_id: string }>;
  complete(callId: string, consultId: string): Promise<void>;
  cancel(callId: string, consultId: string): Promise<void>;
  swap(callId: string, consultId: string): Promise<{ active_call_id: string }>;
}

/** What route handlers may use. Routes never reach into another module's internals. */
export interface ApiContext {
  store: Store;
  bus: EventBus;
  calls: CallManager;
  webhooks: WebhookService;
  models: ModelManager;
  version: string;
  rateLimit: RateLimitOptions;
  /** Telephony re-reads a trunk after the API changed it (absent when telephony is not running). */
  trunksChanged?: (trunkId: string) => void;
  /** A trunk's last SIP messages, oldest first (absent when telephony is not running). */
  sipLog?: (trunkId: string) => SipLogEntryView[];
  /** Sends a trunk's REGISTER now; false when the trunk does not run or does not register. */
  registerNow?: (trunkId: string) => boolean;
  /** Where a call's recording would be on disk. */
  recordingPath?: (callId: string) => string;
  /** Calls ringing the consoles (absent without telephony). */
  ring?: ConsoleRing;
  /** A tap on a live call's audio, or null when this engine does not carry it. */
  callAudio?: (callId: string) => CallAudio | null;
  /** A person's 8 kHz voice on a call they took over, for the transcript (LiveCall.hearPerson). */
  hearPerson?: (callId: string, pcm: Int16Array) => void;
  /** Gives a call a person took over back to its assistant (409 when nobody took it over). */
  handBack?: (callId: string) => Promise<void>;
  /** Whether the assistant pipeline speaks on the call (then the console may listen but not talk). */
  assistantSpeaks?: (callId: string) => boolean;
  /** Stops the assistant on a live call and leaves the call to a person (409 when none runs). */
  takeOver?: (callId: string) => void;
  /** A console's audio on live calls over WebRTC (absent: POST /calls/{id}/webrtc answers 503). */
  consoleLegs?: ConsoleLegs;
  /** Sends keypad digits (RFC 4733) on a live call's leg (409 when not live or the peer takes none). */
  sendDtmf?: (callId: string, digits: string) => void;
  /** Holds or resumes the far end of a person's call; resolves once the far end agreed (409 otherwise). */
  hold?: (callId: string, on: boolean) => Promise<void>;
  /** A person's attended transfer: consult, then complete, cancel or swap (absent without telephony). */
  attendedTransfer?: AttendedTransferControl;
  /** Whether each provider of an assistant can work (POST /assistants/{id}/check). */
  checkAssistant?: (assistant: AssistantRecord, opts?: { network?: boolean }) => Promise<AssistantCheck>;
  /** Web calls: a browser talks to an assistant over WebRTC (absent: POST /web-calls answers 503). */
  webCalls?: WebCalls;
  /** Speaks a text with a tts_config as a call would build it, as a WAV (POST /voices/preview). */
  previewVoice?: (ttsConfig: Record<string, unknown>, text: string, signal: AbortSignal) => Promise<Buffer>;
  /** One-time sign-in links for a browser (absent: POST /console/login answers 401). */
  loginLinks?: LoginLinks;
  /** Signs short-lived recording URLs (absent: POST /calls/{id}/recording-url is a 404). */
  recordingLinks?: RecordingLinks;
  /** Directory of the built console (index.html); absent in API-only test setups. */
  consoleDir?: string;
}

/**
 * The app as routes see it: with the TypeBox type provider, a route's `body`, `params` and `querystring`
 * schemas type its request, so handlers read validated input without casting.
 */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A group of routes: a fastify plugin on the typed app, given what handlers may use. */
export type ApiRoutes = FastifyPluginAsyncTypebox<{ ctx: ApiContext }>;
