import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The part of Electron's `safeStorage` we use; passed in so this module runs (and is tested) without Electron. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret store backs the encryption. */
  getSelectedStorageBackend?(): string;
}

/** Where a secret ended up: sealed by the OS keychain, or a 0600 file readable by this OS user. */
export type SecretLocation = "os-keychain" | "file";

export interface VaultSecret {
  value: string;
  storedIn: SecretLocation;
  path: string;
}

/**
 * On Linux without a keyring, Chromium falls back to `basic_text`: a password compiled into every copy of
 * Electron. That is obfuscation, not protection, so it counts as no keychain and the secret stays a plain
 * 0600 file, which is honest about what protects it (the OS user's file permissions).
 */
export function keychainUsable(safeStorage: SafeStorageLike | null | undefined): safeStorage is SafeStorageLike {
  if (!safeStorage?.isEncryptionAvailable()) return false;
  const backend = safeStorage.getSelectedStorageBackend?.();
  return backend !== "basic_text" && backend !== "unknown";
}

/**
 * Loads a secret kept in `dir`, creating it with `create()` on first use. With a usable keychain it is kept
 * only as `sealedName` (sealed by safeStorage), and an older clear `clearName` is moved in and deleted;
 * without one it is `clearName`, mode 0600 (the file the headless `voicedock serve` reads too).
 */
export function loadSecret(opts: {
  dir: string;
  clearName: string;
  sealedName: string;
  safeStorage: SafeStorageLike | null;
  create: () => string;
}): VaultSecret {
  const { dir } = opts;
  mkdirSync(dir, { recursive: true });
  const sealedPath = join(dir, opts.sealedName);
  const clearPath = join(dir, opts.clearName);
  const keychain = keychainUsable(opts.safeStorage) ? opts.safeStorage! : null;

  if (existsSync(sealedPath)) {
    if (!keychain) {
      throw new Error(
        `${sealedPath} is sealed by the OS keychain, which is not available now: unlock the keychain (or log in to the desktop session) and start again`,
      );
    }
    return { value: keychain.decryptString(readFileSync(sealedPath)), storedIn: "os-keychain", path: sealedPath };
  }
  const existing = existsSync(clearPath) ? readFileSync(clearPath, "utf8").trim() : "";
  const value = existing || opts.create();
  if (keychain) {
    // Write then rename: a crash leaves either the old clear file or the complete sealed one.
    writeFileSync(`${sealedPath}.part`, keychain.encryptString(value), { mode: 0o600 });
    renameSync(`${sealedPath}.part`, sealedPath);
    rmSync(clearPath, { force: true });
    return { value, storedIn: "os-keychain", path: sealedPath };
  }
  if (!existing) writeFileSync(clearPath, value + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(clearPath, 0o600);
  return { value, storedIn: "file", path: clearPath };
}
