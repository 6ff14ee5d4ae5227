import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Store } from "./store/index.js";
import { loopDelay } from "./loop-delay.js";
import { warmMediaWorker } from "./media/worker-api.js";
import { EventBus } from "./events/bus.js";
import { CallManager } from "./calls/call-manager.js";
import { WebhookService } from "./webhooks/service.js";
import { buildApp } from "./api/app.js";
import { DEFAULT_RTP_PORTS, DEFAULT_SIP_HOST, defaultConfig, type EngineConfig } from "./config.js";
import { VERSION } from "./version.js";
import { Telephony } from "./telephony/telephony.js";
import { SipListenError } from "./sip/stack.js";
import { ConsoleRing } from "./calls/console-ring.js";
import { VoiceCalls, providerContext } from "./calls/voice-call.js";
import { PostCall } from "./calls/post-call.js";
import { requestAssistant } from "./calls/assistant-request.js";
import { ModelManager } from "./models/manager.js";
import { sileroModelPath } from "./voice/vad.js";

export type { EngineConfig } from "./config.js";
export { defaultConfig } from "./config.js";

export interface Engine {
  readonly config: EngineConfig;
  readonly store: Store;
  readonly bus: EventBus;
  readonly calls: CallManager;
  readonly webhooks: WebhookService;
  readonly app: FastifyInstance;
  /** Null when telephony is turned off (sipPort null). */
  readonly telephony: Telephony | null;
  readonly voice: VoiceCalls;
  readonly models: ModelManager;
  /** Set after start(): the base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  /** A key created on this start (first run without VOICEDOCK_API_KEY); show it once. */
  generatedApiKey: string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Log lines never carry credentials: Authorization headers and `api_key` query values are masked. */
const redactUrl = (url: string) => url.replace(/([?&]api_key=)[^&]*/g, "$1[redacted]");

/** Builds the engine; nothing listens or writes until start(). */
export async function createEngine(partial: Partial<EngineConfig> = {}): Promise<Engine> {
  const config = defaultConfig(partial);
  const store = new Store({ dataDir: config.dataDir });
  const bus = new EventBus();
  const webhooks = new WebhookService({ store, bus, retry: config.webhookRetry });
  const calls = new CallManager(store, bus, webhooks);
  const ring = new ConsoleRing(config.consoleRingSeconds);
  const telephony = config.sipPort === null ? null
    : new Telephony(store, bus, calls, { host: config.sipHost ?? DEFAULT_SIP_HOST, sipPort: config.sipPort, retryBaseMs: config.sipRetryBaseMs,
        sipsPort: config.sipsPort === undefined ? (config.sipPort === 0 || config.sipPort === 65535 ? 0 : config.sipPort + 1) : config.sipsPort,
        tlsDir: config.dataDir, ring, sipsCertFile: config.sipsCertFile, sipsKeyFile: config.sipsKeyFile,
        rtpPorts: config.rtpPorts ?? DEFAULT_RTP_PORTS, publicAddress: config.sipPublicAddress, dnsServers: config.dnsServers,
        registerExpiresSeconds: config.sipRegisterExpiresSeconds, timers: config.sipTimers,
        recordingsDir: join(config.dataDir, "recordings") });
  const modelsDir = join(config.dataDir, "models");
  const models = new ModelManager({ dir: modelsDir, bus, baseUrl: config.modelsBaseUrl, catalogue: config.modelsCatalogue,
    builtinPath: (file) => (file === "silero_vad.onnx" ? sileroModelPath() : null) });
  const voice = new VoiceCalls(store, bus, calls, webhooks, { modelsDir, toolTimeoutMs: config.toolWebhookTimeoutMs });
  const postCall = new PostCall(store, bus, calls, {
    ctx: providerContext(store, modelsDir),
    takeMetrics: (id) => { const m = voice.lastMetrics.get(id); voice.lastMetrics.delete(id); return m; },
  });
  if (telephony) {
    // Assistants without an llm_config run no AI: the call stays open for a person to take over.
    telephony.onAnswered = (callId, leg) => { if (voice.wants(callId)) voice.start(callId, leg); };
    telephony.beforeAnswer = async (callId) => {
      const call = calls.get(callId);
      const saved = store.calls.assistantConfig(callId);
      if (!call || !saved) return;
      const d = await requestAssistant(store, webhooks, call, saved);
      if (d.problem) store.calls.addEvent(callId, "problem", { message: d.problem });
      if (d.assistant !== saved) {
        const chosen = d.assistantId ? store.assistants.get(d.assistantId) : undefined;
        store.calls.setAssistantConfig(callId, d.assistant, chosen ? { id: chosen.id, name: chosen.name } : undefined);
      }
      if (d.reject !== undefined) voice.rejectOnAnswer(callId, d.reject);
    };
  }
  const app = await buildApp(
    { store, bus, calls, webhooks, models, version: VERSION, consoleDir: config.consoleDir,
      ring: telephony ? ring : undefined,
      callAudio: telephony ? (id) => telephony.callAudio(id) : undefined,
      assistantSpeaks: (id) => voice.speaks(id),
      takeOver: (id) => voice.takeOver(id),
      trunksChanged: telephony ? (id) => { void telephony.sync(id).catch(() => undefined); } : undefined,
      recordingPath: (id) => join(config.dataDir, "recordings", `${id}.wav`),
      rateLimit: { perKeyPerMinute: config.rateLimitPerMinute, controlPerCallPerMinute: config.controlRateLimitPerMinute } },
    {
      logger: config.logLevel === "silent" ? false : {
        level: config.logLevel,
        redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
        serializers: {
          req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
        },
      },
    },
  );

  const engine: Engine = {
    config, store, bus, calls, webhooks, app, telephony, voice, models,
    url: "",
    generatedApiKey: null,
    async start() {
      store.organization.get();
      if (config.apiKey) store.keys.ensure("VOICEDOCK_API_KEY", config.apiKey);
      else if (store.keys.count() === 0) {
        const { key } = store.keys.create("first start");
        engine.generatedApiKey = key;
        writeFileSync(join(config.dataDir, "api-key.txt"), key + "\n", { mode: 0o600 });
      }
      calls.recoverInterrupted();
      loopDelay.start();
      if (telephony) {
        await warmMediaWorker();
        try {
          await telephony.start();
        } catch (err) {
          if (!(err instanceof SipListenError)) throw err;
          const flag = err.transport === "TLS" ? "--sips-port" : "--sip-port";
          throw new Error(err.code === "EADDRINUSE"
            ? `SIP ${err.transport} port ${err.port} is already in use (another softphone or PBX?): pass ${flag} with a free port`
            : `Could not start SIP: ${err.message}`);
        }
      }
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
      engine.url = `http://${host}:${port}`;
      if (telephony) telephony.publicBaseUrl = engine.url;
      webhooks.start();
    },
    async stop() {
      // Stop taking requests and let in-flight ones finish, then the background work, then the DB.
      await app.close();
      await models.stop();
      await telephony?.stop();
      await postCall.idle();
      await webhooks.stop();
      store.close();
    },
  };
  return engine;
}
