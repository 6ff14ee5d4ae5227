import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keychainUsable, loadSecret, type SafeStorageLike } from "../../main/desktop/secret-vault.js";
import { bridgeReply } from "../../main/desktop/bridge.js";
import { SecretBox } from "../../main/engine/store/secret-box.js";

// Electron's safeStorage cannot run here (no Electron binary): a stand-in with the same contract, whose
// "sealed" bytes do not contain the plain text, so a test can tell sealed from clear on disk.
function fakeSafeStorage(opts: { available?: boolean; backend?: string } = {}): SafeStorageLike & { sealed: number } {
  const s = {
    sealed: 0,
    isEncryptionAvailable: () => opts.available ?? true,
    encryptString: (plain: string) => {
      s.sealed++;
      return Buffer.from(Buffer.from(plain, "utf8").map((b) => b ^ 0x5a));
    },
    decryptString: (buf: Buffer) => Buffer.from(buf.map((b) => b ^ 0x5a)).toString("utf8"),
    getSelectedStorageBackend: opts.backend === undefined ? undefined : () => opts.backend!,
  };
  return s;
}

const tmp = () => mkdtempSync(join(tmpdir(), "voicedock-vault-"));
const names = { clearName: "desktop-key.txt", sealedName: "desktop-key.sealed" };

describe("desktop secrets (issue #13 §8)", () => {
  it("with a keychain the key is sealed on disk, never in clear, and read back the same", () => {
    const dir = tmp();
    try {
      const ss = fakeSafeStorage({ backend: "gnome_libsecret" });
      const first = loadSecret({ dir, ...names, safeStorage: ss, create: () => "vd_live_ABCDEF123456" });
      expect(first).toMatchObject({ value: "vd_live_ABCDEF123456", storedIn: "os-keychain" });
      expect(existsSync(join(dir, "desktop-key.txt"))).toBe(false);
      expect(readFileSync(join(dir, "desktop-key.sealed")).toString("latin1")).not.toContain("vd_live_ABCDEF123456");
      expect((statSync(join(dir, "desktop-key.sealed")).mode & 0o777).toString(8)).toBe("600");
      const again = loadSecret({
        dir,
        ...names,
        safeStorage: ss,
        create: () => {
          throw new Error("must not create twice");
        },
      });
      expect(again.value).toBe("vd_live_ABCDEF123456");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a clear key file from an older version is moved into the keychain and deleted", () => {
    const dir = tmp();
    try {
      writeFileSync(join(dir, "desktop-key.txt"), "vd_live_OLDKEY999\n", { mode: 0o600 });
      const s = loadSecret({ dir, ...names, safeStorage: fakeSafeStorage(), create: () => "new" });
      expect(s).toMatchObject({ value: "vd_live_OLDKEY999", storedIn: "os-keychain" });
      expect(existsSync(join(dir, "desktop-key.txt"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without a keychain, or with Linux's basic_text fallback, it is a 0600 file and says so", () => {
    for (const ss of [null, fakeSafeStorage({ available: false }), fakeSafeStorage({ backend: "basic_text" })]) {
      const dir = tmp();
      try {
        const s = loadSecret({ dir, ...names, safeStorage: ss, create: () => "vd_live_PLAIN" });
        expect(s).toMatchObject({ value: "vd_live_PLAIN", storedIn: "file", path: join(dir, "desktop-key.txt") });
        expect((statSync(s.path).mode & 0o777).toString(8)).toBe("600");
        expect(keychainUsable(ss)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("a sealed secret with the keychain gone is an error that says what to do, not a new secret", () => {
    const dir = tmp();
    try {
      loadSecret({ dir, ...names, safeStorage: fakeSafeStorage(), create: () => "vd_live_X" });
      expect(() =>
        loadSecret({ dir, ...names, safeStorage: fakeSafeStorage({ available: false }), create: () => "other" }),
      ).toThrow(/sealed by the OS keychain, which is not available now: unlock the keychain/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the headless engine refuses a data dir whose at-rest key the desktop app sealed, instead of making a new one", () => {
    const dir = tmp();
    try {
      writeFileSync(join(dir, "secret.key"), Buffer.alloc(32, 7).toString("base64") + "\n", { mode: 0o600 });
      const sealed = loadSecret({
        dir,
        clearName: "secret.key",
        sealedName: "secret.key.sealed",
        safeStorage: fakeSafeStorage(),
        create: () => "unused",
      });
      expect(Buffer.from(sealed.value, "base64")).toEqual(Buffer.alloc(32, 7));
      expect(existsSync(join(dir, "secret.key"))).toBe(false);
      expect(() => SecretBox.fromDataDir(dir)).toThrow(/sealed in VoiceDock Desktop's OS keychain/);
      expect(existsSync(join(dir, "secret.key"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the IPC bridge hands the key only to pages of our own engine", () => {
    const consoleUrl = "http://127.0.0.1:8787/";
    expect(bridgeReply("http://127.0.0.1:8787/#/calls", consoleUrl, "vd_live_K")).toEqual({
      apiBase: "http://127.0.0.1:8787",
      apiKey: "vd_live_K",
    });
    for (const sender of [
      "http://127.0.0.1:9999/",
      "https://evil.example/",
      "file:///tmp/x.html",
      "about:blank",
      undefined,
      "not a url",
    ]) {
      expect(bridgeReply(sender, consoleUrl, "vd_live_K")).toBeNull();
    }
    expect(bridgeReply("http://127.0.0.1:8787/", "", "vd_live_K")).toBeNull();
  });
});
