import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Store } from "./store/index.js";
import { RevokedKeyError } from "./store/api-keys.js";
import { SecretBox } from "./store/secret-box.js";
import { loopDelay } from "./util/loop-delay.js";
import { warmMediaWorker } from "./media/worker-api.js";
import { spawner } from "./spawner/spawner.js";
import { EventBus } from "./events/bus.js";
import { CallManager } from "./calls/call-manager.js";
import { WebhookService } from "./webhooks/service.js";
import { buildApp } from "./api/app.js";
import { ConsoleLegs } from "./calls/console-legs.js";
import { WebCalls } from "./calls/web-calls.js";
import { LoginLinks } from "./api/login-links.js";
import { RecordingLinks } from "./api/recording-links.js";
import { redactUrl } from "./api/redact-url.js";
import { readableStream } from "./log/readable-stream.js";
import { logCallEvents } from "./log/call-log.js";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.js";
import { DEFAULT_RTP_PORTS, DEFAULT_SIP_HOST, defaultConfig, type EngineConfig } from "./config.js";
import { VERSION } from "./version.js";
import { Telephony } from "./telephony/telephony.js";
import { SipListenError } from "./sip/stack.js";
import { ConsoleRing } from "./calls/console-ring.js";
import { providerContext } from "./calls/assistant-session.js";
import { previewWav } from "./assistants/voice-preview.js";
import { PostCall } from "./calls/post-call.js";
import { checkProviders } from "./calls/provider-check.js";
import { ModelManager } from "./models/manager.js";
import { sileroModelPath, warmVad } from "./voice/vad.js";
import { CampaignDispatcher } from "./campaigns/dispatcher.js";

export type { EngineConfig } from "./config.js";
export { defaultConfig } from "./config.js";
export { DataDirBusyError } from "./data-dir-lock.js";

export interface Engine {
  readonly config: EngineConfig;
  readonly store: Store;
  readonly bus: EventBus;
  readonly calls: CallManager;
  readonly webhooks: WebhookService;
  readonly app: FastifyInstance;
  /** Null when telephony is turned off (sipPort null). */
  readonly telephony: Telephony | null;
  readonly models: ModelManager;
  readonly campaigns: CampaignDispatcher;
  /** Set after start(): the base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  /**
   * A one-time sign-in link for a browser on this machine (after start()): the console at
   * `/#/login?token=…`, exchanged once, within 10 minutes, for a new API key.
   */
  loginLink(): { url: string; expires_at: string };
  /** A key created on this start (first run without VOICEDOCK_API_KEY); show it once. */
  generatedApiKey: string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the engine; nothing listens or writes until start(). The data directory is locked first, before the
 * database opens: a second engine on the same directory fails here with DataDirBusyError and touches nothing.
 */
export async function createEngine(partial: Partial<EngineConfig> = {}): Promise<Engine> {
  const config = defaultConfig(partial);
  const lock = lockDataDir(config.dataDir);
  try {
    return await assemble(config, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function assemble(config: EngineConfig, lock: DataDirLock): Promise<Engine> {
  const store = new Store({
    dataDir: config.dataDir,
    secretBox: config.secretKey ? new SecretBox(Buffer.from(config.secretKey)) : undefined,
  });
  const bus = new EventBus();
  const webhooks = new WebhookService({ store, bus, retry: config.webhookRetry });
  const modelsDir = join(config.dataDir, "models");
  const calls = new CallManager(store, bus, webhooks, {
    providers: providerContext(store, modelsDir),
    toolTimeoutMs: config.toolWebhookTimeoutMs ?? 10_000,
  });
  const ring = new ConsoleRing(calls, config.consoleRingSeconds);
  const telephony =
    config.sipPort === null
      ? null
      : new Telephony(store, bus, calls, {
          host: config.sipHost ?? DEFAULT_SIP_HOST,
          sipPort: config.sipPort,
          retryBaseMs: config.sipRetryBaseMs,
          sipsPort:
            config.sipsPort === undefined
              ? config.sipPort === 0 || config.sipPort === 65535
                ? 0
                : config.sipPort + 1
              : config.sipsPort,
          tlsDir: config.dataDir,
          ring,
          sipsCertFile: config.sipsCertFile,
          sipsKeyFile: config.sipsKeyFile,
          rtpPorts: config.rtpPorts ?? DEFAULT_RTP_PORTS,
          publicAddress: config.sipPublicAddress,
          dnsServers: config.dnsServers,
          registerExpiresSeconds: config.sipRegisterExpiresSeconds,
          timers: config.sipTimers,
          addressCheckMs: config.sipAddressCheckMs,
          recordingsDir: join(config.dataDir, "recordings"),
        });
  const models = new ModelManager({
    dir: modelsDir,
    bus,
    baseUrl: config.modelsBaseUrl,
    catalogue: config.modelsCatalogue,
    builtinPath: (file) => (file === "silero_vad.onnx" ? sileroModelPath() : null),
  });
  const campaigns = new CampaignDispatcher(store, bus, calls, config.campaigns);
  const postCall = new PostCall(store, calls, { ctx: providerContext(store, modelsDir) });
  const loginLinks = new LoginLinks();
  const webCalls = new WebCalls({
    store,
    calls,
    host: config.host,
    ports: config.rtpPorts ?? DEFAULT_RTP_PORTS,
    recordingsDir: join(config.dataDir, "recordings"),
    baseUrl: () => engine.url,
  });
  const consoleLegs = new ConsoleLegs({
    calls,
    host: config.host,
    ports: config.rtpPorts ?? DEFAULT_RTP_PORTS,
    heardPerson: (id, pcm) => calls.liveCall(id)?.hearPerson(pcm),
    coachChanged: (e) => bus.publish(e),
  });
  calls.on("ended", (call) => consoleLegs.callEnded(call.id));
  bus.subscribe((e) => {
    if (e.type === "call.hold" && e.by === "us") consoleLegs.holdChanged(e.call_id, e.on_hold);
  });
  const app = await buildApp(
    {
      loginLinks,
      webCalls,
      consoleLegs,
      recordingLinks: new RecordingLinks(),
      store,
      bus,
      calls,
      webhooks,
      models,
      version: VERSION,
      consoleDir: config.consoleDir,
      ring: telephony ? ring : undefined,
      callAudio: telephony ? (id) => calls.liveCall(id)?.listen() ?? null : undefined,
      hearPerson: (id, pcm) => calls.liveCall(id)?.hearPerson(pcm),
      handBack: (id) => calls.handBack(id),
      assistantSpeaks: (id) => calls.liveCall(id)?.assistantSpeaks ?? false,
      takeOver: (id) => calls.takeOver(id),
      sendDtmf: (id, digits) => calls.sendDtmf(id, digits),
      hold: (id, on) => calls.hold(id, on),
      attendedTransfer: telephony?.attended,
      checkAssistant: (a, opts) => checkProviders(a, providerContext(store, modelsDir), opts),
      previewVoice: (tts, text, signal) => previewWav(tts, text, providerContext(store, modelsDir), signal),
      trunksChanged: telephony
        ? (id) => {
            void telephony.sync(id).catch(() => undefined);
          }
        : undefined,
      sipLog: telephony ? (id) => telephony.stack.sipLog(id) : undefined,
      registerNow: telephony ? (id) => telephony.stack.registerNow(id) : undefined,
      recordingPath: (id) => join(config.dataDir, "recordings", `${id}.wav`),
      rateLimit: {
        perKeyPerMinute: config.rateLimitPerMinute,
        controlPerCallPerMinute: config.controlRateLimitPerMinute,
      },
    },
    {
      logger:
        config.logLevel === "silent"
          ? false
          : {
              level: config.logLevel,
              // Readable lines by default; JSON (one object per line) for log collectors.
              stream:
                config.logFormat === "json"
                  ? (config.logStream ?? process.stderr)
                  : readableStream(config.logStream ?? process.stderr),
              // Log lines never carry credentials: Authorization headers and `api_key` query values are masked.
              redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
              serializers: {
                req: (req: { method: string; url: string; ip?: string }) => ({
                  method: req.method,
                  url: redactUrl(req.url),
                  remoteAddress: req.ip,
                }),
              },
            },
    },
  );

  if (config.logLevel !== "silent") logCallEvents(bus, app.log, (id) => store.sipTrunks.get(id)?.name);

  const engine: Engine = {
    config,
    store,
    bus,
    calls,
    webhooks,
    app,
    telephony,
    models,
    campaigns,
    url: "",
    generatedApiKey: null,
    loginLink() {
      const { token, expires_at } = loginLinks.issue();
      return { url: `${engine.url}/#/login?token=${token}`, expires_at };
    },
    async start() {
      store.organization.get();
      // Rows left live by an engine that is gone (we hold the lock, so no other engine carries them); closed
      // only once our ports are held too, so a start that fails on a busy port changes nothing.
      const interrupted = calls.interruptedCalls();
      if (config.apiKey) {
        try {
          store.keys.ensure("VOICEDOCK_API_KEY", config.apiKey);
        } catch (err) {
          if (!(err instanceof RevokedKeyError)) throw err;
          throw new Error(
            `VOICEDOCK_API_KEY is set to a revoked key (${err.key.prefix}…, revoked ${err.key.revoked_at}); a revoked key stays revoked. ` +
              "Unset VOICEDOCK_API_KEY, or create a new key with 'voicedock keys create' and set that one",
            { cause: err },
          );
        }
      } else if (store.keys.count() === 0) {
        const { key } = store.keys.create("first start");
        engine.generatedApiKey = key;
        writeFileSync(join(config.dataDir, "api-key.txt"), key + "\n", { mode: 0o600 });
      }
      loopDelay.start();
      await spawner.warm(); // forked now, while our heap is small: its own forks never stall the media thread
      // The VAD thread loads its code and model now (~1–3 s from source on a loaded machine), so a first
      // call's caller audio does not wait in its ring for it; calls can be answered without SIP (tests, web).
      const vadReady = warmVad();
      if (telephony) {
        // Both threads are ready before SIP listens, so a first call waits for neither.
        await Promise.all([warmMediaWorker(), vadReady]);
        try {
          await telephony.start();
        } catch (err) {
          if (!(err instanceof SipListenError)) throw err;
          const flag = err.transport === "TLS" ? "--sips-port" : "--sip-port";
          throw new Error(
            err.code === "EADDRINUSE"
              ? `SIP ${err.transport} port ${err.port} is already in use (another softphone or PBX?): pass ${flag} with a free port`
              : `Could not start SIP: ${err.message}`,
            { cause: err },
          );
        }
      }
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.host.includes(":")
        ? `[${config.host}]`
        : config.host === "0.0.0.0"
          ? "127.0.0.1"
          : config.host;
      engine.url = `http://${host}:${port}`;
      if (telephony) telephony.publicBaseUrl = engine.url;
      lock.setUrl(engine.url);
      calls.recoverInterrupted(interrupted);
      // After the rows of calls we no longer carry are closed: leads left `calling` settle from them.
      campaigns.start();
      webhooks.start();
    },
    async stop() {
      // Stop taking requests and let in-flight ones finish, then the background work, then the DB.
      await app.close();
      webCalls.close();
      consoleLegs.close();
      campaigns.halt();
      await models.stop();
      await telephony?.stop();
      calls.stopAll();
      campaigns.stop();
      await postCall.idle();
      await webhooks.stop();
      store.close();
      lock.release();
      spawner.stop();
    },
  };
  return engine;
}
