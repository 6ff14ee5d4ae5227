/**
 * Trickle ICE to the engine, WHIP style (RFC 9725 §4.3): the offer goes out at once, and the candidates the
 * browser finds afterwards follow in PATCH requests carrying RFC 8840 fragments. No DOM types here, so the
 * unit tests run it in Node.
 */

/** A local candidate as the browser's `icecandidate` event gives it. */
export interface LocalCandidate {
  candidate: string;
  sdpMid: string | null;
}

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** What a PATCH came to: sent, refused because the engine does not trickle (405/501), or failed otherwise. */
export type PatchResult = "ok" | "unsupported" | "failed";

/** Candidates found within this many ms go out in one request (a browser finds several per interface at once). */
export const BATCH_MS = 10;

/** The offer's ICE credentials (the fragment names them so the engine knows which ICE session it is for). */
export function iceCredentials(sdp: string): IceCredentials | null {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1];
  return ufrag && pwd ? { ufrag, pwd } : null;
}

/** The candidate lines an SDP already carries ("candidate:…", without "a="). */
export function sdpCandidates(sdp: string): string[] {
  return [...sdp.matchAll(/^a=(candidate:.+?)\r?$/gm)].map((m) => m[1]);
}

/**
 * An RFC 8840 fragment: the credentials, then per media section a placeholder m= line (only its position
 * matters), its mid and candidates; `a=end-of-candidates` when the browser has no more.
 */
export function iceFragment(ice: IceCredentials, candidates: LocalCandidate[], end: boolean): string {
  const lines = [`a=ice-ufrag:${ice.ufrag}`, `a=ice-pwd:${ice.pwd}`];
  const mids = [...new Set(candidates.map((c) => c.sdpMid ?? "0"))];
  for (const mid of mids) {
    lines.push("m=audio 9 RTP/AVP 0", `a=mid:${mid}`);
    for (const c of candidates) if ((c.sdpMid ?? "0") === mid) lines.push(`a=${c.candidate.replace(/^a=/, "")}`);
    if (end) lines.push("a=end-of-candidates");
  }
  // Nothing new, only the end: for every section.
  if (end && !mids.length) lines.push("a=end-of-candidates");
  return lines.join("\r\n") + "\r\n";
}

/**
 * Collects the browser's candidates from the moment the offer is made; once the engine answered (`start`),
 * sends them in batches, one request at a time, the end last. Candidates the offer already carried are not
 * sent again. A 405/501 says the engine does not take trickled candidates: `onUnsupported` is called once and
 * nothing more is sent.
 */
export class CandidateTrickle {
  private pending: LocalCandidate[] = [];
  private ended = false;
  private endSent = false;
  private send: ((fragment: string) => Promise<PatchResult>) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private readonly inOffer = new Set<string>();

  constructor(
    private readonly ice: IceCredentials,
    private readonly onUnsupported: () => void = () => undefined,
    private readonly batchMs = BATCH_MS,
  ) {}

  /** The candidates the offer carried: the engine has them. */
  sentInOffer(sdp: string): void {
    for (const c of sdpCandidates(sdp)) this.inOffer.add(c);
  }

  /** A candidate from the browser; null: gathering is complete. */
  add(candidate: LocalCandidate | null): void {
    if (this.stopped) return;
    if (candidate === null || candidate.candidate === "") this.ended = true;
    else if (!this.inOffer.has(candidate.candidate.replace(/^a=/, ""))) this.pending.push(candidate);
    this.schedule();
  }

  /** The engine answered: what waited goes out now, later candidates as they come. */
  start(send: (fragment: string) => Promise<PatchResult>): void {
    this.send = send;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves once everything collected so far, and the end if it came, has been sent (tests, and leaving). */
  async settled(): Promise<void> {
    while (this.timer || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else await new Promise((r) => setTimeout(r, this.batchMs));
    }
  }

  private schedule(): void {
    if (!this.send || this.stopped || this.timer || this.inFlight) return;
    if (!this.pending.length && (!this.ended || this.endSent)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.flush().finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    }, this.batchMs);
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    const end = this.ended && !this.endSent;
    if (!batch.length && !end) return;
    if (end) this.endSent = true;
    const result = await this.send!(iceFragment(this.ice, batch, end)).catch((): PatchResult => "failed");
    if (result === "unsupported") {
      this.stop();
      this.onUnsupported();
    } else if (result === "failed") this.stop();
  }
}
