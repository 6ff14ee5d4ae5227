import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Root can mount a small tmpfs: the way to make a disk full for real, without filling the machine's. */
export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(join(tmpdir(), "mount-probe-"));
  const ok = mountTmpfs(dir, "16k");
  if (ok) unmount(dir);
  rmSync(dir, { recursive: true, force: true });
  return ok;
}

/** Mounts a tmpfs of `size` (e.g. "48k", "24m") on `dir`, readable by its owner only. */
export function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=700`, "tmpfs", dir]).status === 0;
}

export function unmount(dir: string): void {
  spawnSync("umount", [dir]);
}
