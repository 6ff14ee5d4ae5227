import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";

export interface TlsIdentity {
  cert: string;
  key: string;
  selfSigned: boolean;
  fingerprint: string;
}

/**
 * The certificate our SIP TLS listener presents: the user's own (`--sips-cert` / `--sips-key`), or else a
 * self-signed one made once and kept in the data dir, so a peer that pins it keeps working after restarts.
 */
export async function tlsIdentity(o: { dir: string; certFile?: string; keyFile?: string }): Promise<TlsIdentity> {
  if (o.certFile || o.keyFile) {
    if (!o.certFile || !o.keyFile)
      throw new Error("SIP TLS needs both a certificate and its key (--sips-cert and --sips-key)");
    const cert = readFileSync(o.certFile, "utf8");
    return {
      cert,
      key: readFileSync(o.keyFile, "utf8"),
      selfSigned: false,
      fingerprint: new X509Certificate(cert).fingerprint256,
    };
  }
  const certPath = join(o.dir, "sip-tls-cert.pem");
  const keyPath = join(o.dir, "sip-tls-key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, "utf8");
    const x509 = new X509Certificate(cert);
    if (new Date(x509.validTo).getTime() > Date.now() + 7 * 86_400_000)
      return { cert, key: readFileSync(keyPath, "utf8"), selfSigned: true, fingerprint: x509.fingerprint256 };
  }
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + 10 * 365 * 86_400_000);
  const name = hostname() || "voicedock";
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: name },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return {
    cert: pems.cert,
    key: pems.private,
    selfSigned: true,
    fingerprint: new X509Certificate(pems.cert).fingerprint256,
  };
}
