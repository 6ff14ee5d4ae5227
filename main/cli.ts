import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isIP } from "node:net";
import { createEngine, defaultConfig } from "./engine/index.js";
import { DEFAULT_RTP_PORTS, DEFAULT_SIP_HOST } from "./engine/config.js";
import { Store } from "./engine/store/index.js";
import { VERSION } from "./engine/version.js";
import { guardUnhandledRejections } from "./engine/log/crash-guard.js";

const USAGE = `VoiceDock ${VERSION}

Usage:
  voicedock serve [--data-dir DIR] [--host 127.0.0.1] [--port 8787] [--sip-port 5060]
                  [--sips-port 5061|off] [--sips-cert FILE --sips-key FILE]
                  [--sip-host 0.0.0.0] [--rtp-ports 10000-20000] [--sip-public-address IP]
                  [--dns-servers IP[,IP…]]
  voicedock keys create [--name NAME] [--data-dir DIR]
  voicedock keys list [--data-dir DIR]
  voicedock keys revoke <id-or-prefix> [--data-dir DIR]

The API listens on --host (127.0.0.1: this machine only). SIP and RTP listen on --sip-host (all
interfaces by default, so trunks can reach them; they accept calls only from trunks): SIP on UDP and TCP
at --sip-port and on TLS at --sips-port (default: SIP port + 1), presenting --sips-cert/--sips-key, or a
self-signed certificate kept in the data dir; call audio on UDP --rtp-ports. Each trunk is told the
address that routes to it; behind NAT the public one is learned from the registrar
(--sip-public-address fixes it instead).

Environment: VOICEDOCK_DATA_DIR, VOICEDOCK_HOST, VOICEDOCK_PORT, VOICEDOCK_SIP_PORT, VOICEDOCK_SIPS_PORT,
             VOICEDOCK_SIPS_CERT, VOICEDOCK_SIPS_KEY, VOICEDOCK_SIP_HOST, VOICEDOCK_RTP_PORTS,
             VOICEDOCK_SIP_PUBLIC_ADDRESS, VOICEDOCK_DNS_SERVERS, VOICEDOCK_API_KEY,
             VOICEDOCK_RATE_LIMIT (requests/min per key, default 100),
             VOICEDOCK_LOG_LEVEL (info: a line per call event; debug: also every request; warn; silent),
             VOICEDOCK_LOG_FORMAT (text, or json for log collectors)`;

class UsageError extends Error {}

/** The package root, whether running from source (main/cli.ts) or bundled (out/main/cli.js). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** "10000-20000": an even-sized range of UDP ports for RTP (each call takes a pair: RTP and RTCP). */
function portRange(text: string | undefined): { min: number; max: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2]);
  if (!m || min < 1024 || max > 65535 || max - min < 1)
    throw new UsageError(`--rtp-ports must be a range like 10000-20000, within 1024-65535 (got '${text}')`);
  return { min, max };
}

function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max} (got '${value}')`);
  return n;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      "data-dir": { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      "sip-port": { type: "string" },
      "sips-port": { type: "string" },
      "sips-cert": { type: "string" },
      "sips-key": { type: "string" },
      "sip-host": { type: "string" },
      "rtp-ports": { type: "string" },
      "sip-public-address": { type: "string" },
      "dns-servers": { type: "string" },
    },
  });
  const env = process.env;
  const base = defaultConfig();
  const host = values.host ?? env.VOICEDOCK_HOST ?? base.host;
  const port = intOption("--port", values.port ?? env.VOICEDOCK_PORT, 0, 65535) ?? base.port;
  const sipPort = intOption("--sip-port", values["sip-port"] ?? env.VOICEDOCK_SIP_PORT, 0, 65535) ?? 5060;
  const sipsText = values["sips-port"] ?? env.VOICEDOCK_SIPS_PORT;
  const sipsPort = sipsText === "off" ? null : intOption("--sips-port", sipsText, 0, 65535);
  const sipsCertFile = values["sips-cert"] ?? (env.VOICEDOCK_SIPS_CERT || undefined);
  const sipsKeyFile = values["sips-key"] ?? (env.VOICEDOCK_SIPS_KEY || undefined);
  if (Boolean(sipsCertFile) !== Boolean(sipsKeyFile))
    throw new UsageError("--sips-cert and --sips-key go together: the certificate and its private key");
  for (const file of [sipsCertFile, sipsKeyFile])
    if (file && !existsSync(file)) throw new UsageError(`no such file: ${file}`);
  if (sipsPort !== undefined && sipsPort !== null && sipsPort !== 0 && sipsPort === sipPort)
    throw new UsageError("--sips-port must differ from --sip-port (TCP listens there)");
  const sipHost = values["sip-host"] ?? (env.VOICEDOCK_SIP_HOST || DEFAULT_SIP_HOST);
  if (!isIP(sipHost))
    throw new UsageError(`--sip-host must be an IP address of this machine, or 0.0.0.0 for all (got '${sipHost}')`);
  const rtpPorts = portRange(values["rtp-ports"] ?? (env.VOICEDOCK_RTP_PORTS || undefined)) ?? DEFAULT_RTP_PORTS;
  const sipPublicAddress = values["sip-public-address"] ?? (env.VOICEDOCK_SIP_PUBLIC_ADDRESS || undefined);
  if (sipPublicAddress !== undefined && (!isIP(sipPublicAddress) || /^(0\.0\.0\.0|::)$/.test(sipPublicAddress))) {
    throw new UsageError(
      `--sip-public-address must be the IP address peers reach this machine at (got '${sipPublicAddress}')`,
    );
  }
  const dnsText = values["dns-servers"] ?? (env.VOICEDOCK_DNS_SERVERS || undefined);
  const dnsServers = dnsText
    ?.split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  for (const d of dnsServers ?? [])
    if (!isIP(d.replace(/^\[|\](:\d+)?$|:\d+$/g, "")))
      throw new UsageError(`--dns-servers takes IP addresses, optionally with :port (got '${d}')`);
  const consoleDir = join(packageRoot(), "out", "renderer");
  if (host !== "127.0.0.1" && host !== "localhost" && host !== "::1") {
    process.stderr.write(
      `warning: listening on ${host} makes the API reachable from other machines; anyone with an API key can place calls. Prefer 127.0.0.1 unless you need remote access.\n`,
    );
  }
  const engine = await createEngine({
    dataDir: resolve(values["data-dir"] ?? env.VOICEDOCK_DATA_DIR ?? base.dataDir),
    host,
    port,
    sipPort,
    sipsPort,
    sipsCertFile,
    sipsKeyFile,
    sipHost,
    rtpPorts,
    sipPublicAddress,
    dnsServers,
    apiKey: env.VOICEDOCK_API_KEY || undefined,
    rateLimitPerMinute:
      intOption("VOICEDOCK_RATE_LIMIT", env.VOICEDOCK_RATE_LIMIT, 1, 1_000_000) ?? base.rateLimitPerMinute,
    consoleDir: existsSync(join(consoleDir, "index.html")) ? consoleDir : undefined,
    logLevel: env.VOICEDOCK_LOG_LEVEL ?? "info",
    logFormat: env.VOICEDOCK_LOG_FORMAT === "json" ? "json" : "text",
  });
  try {
    await engine.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE")
      throw new Error(`Port ${port} on ${host} is already in use: stop the other program or pass --port`, {
        cause: err,
      });
    if (e.code === "EACCES")
      throw new Error(`Not allowed to listen on ${host}:${port}: choose a port above 1024`, { cause: err });
    throw err;
  }
  guardUnhandledRejections(process, engine.app.log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write("forced exit\n");
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`${signal}: finishing requests and closing the database…\n`);
    engine.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));

  const sip = engine.telephony?.sipAddress;
  const lines = [
    `VoiceDock ${VERSION} is ready`,
    `  console: ${engine.url}/`,
    `  API:     ${engine.url}/api/v1  (reference: ${engine.url}/api/docs)`,
    `  SIP:     ${sip ? `udp+tcp ${listenAddress(sip)}` : "off"}${engine.telephony?.sipsAddress ? `, tls ${listenAddress(engine.telephony.sipsAddress)} (certificate sha256 ${engine.telephony.tlsFingerprint})` : ""}`,
    `  data:    ${engine.config.dataDir}`,
    // A browser on this machine signs in with this link instead of a pasted key (works once, for 10 minutes).
    `  Console: ${engine.loginLink().url}`,
    `           (sign-in link for one browser: works once, for 10 minutes)`,
  ];
  if (engine.generatedApiKey) {
    lines.push(
      `  API key (shown once, also saved to ${join(engine.config.dataDir, "api-key.txt")}):`,
      `    ${engine.generatedApiKey}`,
    );
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** "port 5060 on every interface" reads better than 0.0.0.0:5060 for a person setting up a firewall. */
function listenAddress(a: { host: string; port: number }): string {
  return a.host === "0.0.0.0" || a.host === "::" ? `port ${a.port} on every interface` : `${a.host}:${a.port}`;
}

function keys(args: string[]): void {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: { "data-dir": { type: "string" }, name: { type: "string" } },
  });
  const store = new Store({
    dataDir: resolve(values["data-dir"] ?? process.env.VOICEDOCK_DATA_DIR ?? defaultConfig().dataDir),
  });
  try {
    switch (sub) {
      case "create": {
        if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
        const { key, row } = store.keys.create(values.name ?? "cli");
        process.stdout.write(`Created API key ${row.id} (${row.name}). It is shown only now:\n${key}\n`);
        return;
      }
      case "list": {
        const rows = store.keys.list();
        if (!rows.length) {
          process.stdout.write("No API keys yet: start the server once or run 'voicedock keys create'.\n");
          return;
        }
        for (const k of rows) {
          process.stdout.write(
            `${k.id}  ${k.prefix}…  ${k.name.padEnd(20)}  created ${k.created_at}  ${k.revoked_at ? `revoked ${k.revoked_at}` : `last used ${k.last_used_at ?? "never"}`}\n`,
          );
        }
        return;
      }
      case "revoke": {
        if (positionals.length !== 1) throw new UsageError("keys revoke needs exactly one key id or prefix");
        if (!store.keys.revoke(positionals[0]))
          throw new UsageError(
            `no active API key with id or prefix '${positionals[0]}' ('voicedock keys list' shows them)`,
          );
        process.stdout.write(`Revoked ${positionals[0]}.\n`);
        return;
      }
      default:
        throw new UsageError(sub ? `unknown keys command '${sub}'` : "keys needs a command: create, list or revoke");
    }
  } finally {
    store.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "serve") await serve(rest);
    else if (command === "keys") keys(rest);
    else if (command === "--version" || command === "-v") process.stdout.write(`${VERSION}\n`);
    else if (command === "--help" || command === "-h" || command === "help") process.stdout.write(USAGE + "\n");
    else throw new UsageError(command ? `unknown command '${command}'` : "a command is needed");
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`voicedock: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`voicedock: ${e.message}\n`);
    return 1;
  }
}

// Run when executed directly (bin/voicedock.js imports this module and calls main itself).
if (process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
