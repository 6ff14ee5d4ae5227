import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "./ports.js";

export const SHARED = join(import.meta.dirname, "..", "..", "..", "shared");
export const hasKamailio = existsSync("/usr/sbin/kamailio") || existsSync("/usr/bin/kamailio");

export interface Kamailio { port: number; tlsPort: number | null; caPem: string | null; proc: ChildProcess; log(): string; stop(): Promise<void> }

/** Starts kamailio as a registrar/proxy on 127.0.0.1 with the shared config (users alice/secret, bob/bobpass). */
export async function startKamailio(opts: { tls?: boolean } = {}): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), "kamailio-"));
  const port = await freeUdpPort();
  let cfg = readFileSync(join(SHARED, "peers", "kamailio.cfg"), "utf8").replaceAll("LISTEN_PORT", String(port));
  let tlsPort: number | null = null;
  let caPem: string | null = null;
  if (opts.tls) {
    // As shared/peers/README.md describes: a self-signed certificate, the tls module and a TLS listener.
    tlsPort = await freeUdpPort();
    const ssl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
    if (ssl.status !== 0) throw new Error(`openssl failed: ${ssl.stderr}`);
    caPem = readFileSync(join(dir, "cert.pem"), "utf8");
    writeFileSync(join(dir, "tls.cfg"), readFileSync(join(SHARED, "peers", "kamailio-tls.cfg.template"), "utf8").replaceAll("@DIR@", dir));
    cfg = cfg.replace(/^(listen=tcp:[^\n]*)$/m, `$1\nlisten=tls:127.0.0.1:${tlsPort}\nenable_tls=yes`)
      .replace('loadmodule "tm.so"', `loadmodule "tls.so"\nmodparam("tls", "config", "${join(dir, "tls.cfg")}")\nloadmodule "tm.so"`);
  }
  writeFileSync(join(dir, "k.cfg"), cfg);
  const bin = existsSync("/usr/sbin/kamailio") ? "/usr/sbin/kamailio" : "kamailio";
  const proc = spawn(bin, ["-f", join(dir, "k.cfg"), "-DD", "-E", "-Y", dir, "-P", join(dir, "k.pid"), "-m", "64", "-M", "8"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (d) => { log += d; });
  proc.stderr!.on("data", (d) => { log += d; });
  await waitForOptions(port, () => log);
  return {
    port, tlsPort, caPem, proc, log: () => log,
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
async function waitForOptions(port: number, log: () => string): Promise<void> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  const local = sock.address().port;
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const got = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 200);
        sock.once("message", () => { clearTimeout(t); resolve(true); });
      });
      const branch = `z9hG4bK${Math.random().toString(36).slice(2)}`;
      sock.send(`OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1:${port}>\r\nCall-ID: ${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`, port, "127.0.0.1");
      if (await got) return;
    }
    throw new Error(`kamailio did not come up on ${port}:\n${log()}`);
  } finally {
    sock.close();
  }
}
