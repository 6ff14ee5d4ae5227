import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The at-rest key after the desktop app sealed it with the OS keychain. */
export const SEALED_SECRET_KEY_FILE = "secret.key.sealed";

/**
 * Encrypts secrets at rest (trunk passwords, provider keys, webhook secrets) with AES-256-GCM.
 * The key lives in `<dataDir>/secret.key` (mode 0600), or, under the desktop app with an OS keychain, sealed
 * in `secret.key.sealed` and handed over by the shell, which is why the key is a constructor argument.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("secret key must be 32 bytes");
  }

  static fromDataDir(dataDir: string): SecretBox {
    const path = join(dataDir, "secret.key");
    // The desktop app moves the key into the OS keychain (main/desktop/secret-vault.ts). Making a new key
    // here would leave every stored secret unreadable, so refuse instead.
    if (!existsSync(path) && existsSync(join(dataDir, SEALED_SECRET_KEY_FILE))) {
      throw new Error(
        `this data directory's encryption key is sealed in VoiceDock Desktop's OS keychain (${SEALED_SECRET_KEY_FILE}): ` +
          "start the desktop app to use it, or give 'voicedock serve' another --data-dir",
      );
    }
    if (!existsSync(path)) {
      writeFileSync(path, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    }
    chmodSync(path, 0o600);
    return new SecretBox(Buffer.from(readFileSync(path, "utf8").trim(), "base64"));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(":");
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(":");
    if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("unknown secret format");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
  }
}
