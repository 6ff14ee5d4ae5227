import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a printed sign-in link works. */
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000;
/** Links not yet used that are remembered at once (each `serve` start or Electron hand-off makes one). */
const MAX_PENDING = 16;

const hash = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

/**
 * One-time sign-in links for a browser on this machine (`voicedock serve` prints one): a random token,
 * kept only in memory and only as its hash, good once and for ten minutes. Redeeming compares hashes in
 * constant time, against every pending link, so neither a match nor its position shows in the timing.
 */
export class LoginLinks {
  private pending: { hash: Buffer; expires: number }[] = [];

  constructor(
    private readonly ttlMs = LOGIN_LINK_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new token (256 random bits, URL-safe); the oldest pending one goes when too many wait. */
  issue(): { token: string; expires_at: string } {
    const token = randomBytes(32).toString("base64url");
    const expires = this.now() + this.ttlMs;
    this.prune();
    this.pending.push({ hash: hash(token), expires });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
    return { token, expires_at: new Date(expires).toISOString() };
  }

  /** True once for a pending, unexpired token; the token is spent whatever happens next. */
  redeem(token: string): boolean {
    this.prune();
    const given = hash(token);
    let found = -1;
    for (let i = 0; i < this.pending.length; i++) if (timingSafeEqual(this.pending[i].hash, given)) found = i;
    if (found < 0) return false;
    this.pending.splice(found, 1);
    return true;
  }

  private prune(): void {
    const now = this.now();
    this.pending = this.pending.filter((p) => p.expires > now);
  }
}
