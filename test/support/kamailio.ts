import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "./ports.js";
import { waitForSipServer } from "./sip-probe.js";

export const SHARED = join(import.meta.dirname, "..", "..", "..", "shared");
export const hasKamailio = existsSync("/usr/sbin/kamailio") || existsSync("/usr/bin/kamailio");

export interface Kamailio {
  address: string;
  port: number;
  tlsPort: number | null;
  caPem: string | null;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface KamailioOptions {
  tls?: boolean;
  /** Run inside this network namespace (`ip netns exec`), e.g. a "carrier" host of a test topology. */
  netns?: string;
  /** Listen on this address instead of 127.0.0.1 (inside `netns` when given). */
  address?: string;
  /** UDP/TCP port; default a free one, or 5060 inside a namespace (a host of its own: the port is free). */
  port?: number;
  /**
   * The registrar's lowest accepted expiry (kamailio's default is 60 s: it raises any shorter request to
   * 60). Tests that need quick re-registrations (DNS failover) lower it, as a carrier may.
   */
  minExpiresSeconds?: number;
  /** More accounts beside alice and bob (user → password), e.g. a phone that registers to receive calls. */
  users?: Record<string, string>;
}

/** Starts kamailio as a registrar/proxy with the shared config (users alice/secret, bob/bobpass), on 127.0.0.1 unless told otherwise. */
export async function startKamailio(opts: KamailioOptions = {}): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), "kamailio-"));
  const address = opts.address ?? "127.0.0.1";
  const port = opts.port ?? (opts.netns ? 5060 : await freeUdpPort());
  let cfg = readFileSync(join(SHARED, "peers", "kamailio.cfg"), "utf8")
    .replaceAll("LISTEN_PORT", String(port))
    .replace(/^(listen=\w+:|alias=")127\.0\.0\.1/gm, `$1${address}`);
  if (opts.minExpiresSeconds !== undefined)
    cfg = cfg.replace(
      /^(modparam\("usrloc"[^\n]*)$/m,
      `$1\nmodparam("registrar", "min_expires", ${opts.minExpiresSeconds})`,
    );
  for (const [user, password] of Object.entries(opts.users ?? {}))
    cfg = cfg.replace(/^(\s*\$sht\(users=>bob\)[^\n]*)$/m, `$1\n    $sht(users=>${user}) = "${password}";`);
  let tlsPort: number | null = null;
  let caPem: string | null = null;
  if (opts.tls) {
    // As shared/peers/README.md describes: a self-signed certificate, the tls module and a TLS listener.
    tlsPort = await freeUdpPort();
    const ssl = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { encoding: "utf8" },
    );
    if (ssl.status !== 0) throw new Error(`openssl failed: ${ssl.stderr}`);
    caPem = readFileSync(join(dir, "cert.pem"), "utf8");
    writeFileSync(
      join(dir, "tls.cfg"),
      readFileSync(join(SHARED, "peers", "kamailio-tls.cfg.template"), "utf8").replaceAll("@DIR@", dir),
    );
    cfg = cfg
      .replace(/^(listen=tcp:[^\n]*)$/m, `$1\nlisten=tls:127.0.0.1:${tlsPort}\nenable_tls=yes`)
      .replace(
        'loadmodule "tm.so"',
        `loadmodule "tls.so"\nmodparam("tls", "config", "${join(dir, "tls.cfg")}")\nloadmodule "tm.so"`,
      );
  }
  writeFileSync(join(dir, "k.cfg"), cfg);
  const bin = existsSync("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : "kamailio";
  // Its own runtime dir and pid file per instance (-Y, -P): several kamailios may run side by side.
  const argv = [bin, "-f", join(dir, "k.cfg"), "-DD", "-E", "-Y", dir, "-P", join(dir, "k.pid"), "-m", "64", "-M", "8"];
  // `ip netns exec` execs kamailio in place, so `proc` is kamailio itself and signals reach it.
  const proc = opts.netns
    ? spawn("ip", ["netns", "exec", opts.netns, ...argv], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (d) => {
    log += d;
  });
  proc.stderr!.on("data", (d) => {
    log += d;
  });
  try {
    // Inside a namespace, probe from inside it: the test's namespace may have no route there (NAT).
    if (opts.netns) await waitForSipServer({ netns: opts.netns, to: { address, port } });
    else await waitForOptions(address, port, () => log);
  } catch (err) {
    proc.kill("SIGKILL");
    throw new Error(
      `kamailio did not come up on ${address}:${port} (${(err as Error).message.split("\n")[0]}):\n${log}`,
      { cause: err },
    );
  }
  return {
    address,
    port,
    tlsPort,
    caPem,
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kamailio answers OPTIONS to itself with "200 Keepalive" once it is up. */
async function waitForOptions(address: string, port: number, log: () => string): Promise<void> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  const local = sock.address().port;
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const got = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 200);
        sock.once("message", () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
      sock.send(
        `OPTIONS sip:${address}:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${address}:${local};branch=${branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@${address}>;tag=p\r\nTo: <sip:${address}:${port}>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
        port,
        address,
      );
      if (await got) return;
    }
    throw new Error(`kamailio did not come up on ${port}:\n${log()}`);
  } finally {
    sock.close();
  }
}
