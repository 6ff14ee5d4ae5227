import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../store/index.js";
import type { AssistantInput } from "../domain/assistant.js";
import type { FreeJson } from "../domain/schema.js";
import { invalid } from "../domain/errors.js";
import { resolveCallAssistant } from "../assistants/resolve.js";
import { newCallId } from "../util/ids.js";
import { RtpSession, type RtpPortRange } from "../media/rtp-session.js";
import { rtpCallAudio } from "../media/call-audio.js";
import { isFinal } from "./call-state.js";
import type { CallManager } from "./call-manager.js";
import type { CallLeg } from "./control.js";

export interface WebCallRequest {
  assistant_id?: string;
  assistant?: AssistantInput;
  assistant_override?: AssistantInput;
  metadata?: FreeJson;
}

export interface WebCallsOptions {
  store: Store;
  calls: CallManager;
  /** Where ICE listens: the engine's own address (loopback by default). */
  host: string;
  ports: RtpPortRange;
  recordingsDir: string;
  /** The API's base URL, for `server_url` and `recording_url`. */
  baseUrl(): string;
  /** How long the browser has to join with its token (default 60 s). */
  tokenTtlMs?: number;
}

const TOKEN_TTL_MS = 60_000;

interface Pending {
  callId: string;
  expires: NodeJS.Timeout;
}

/**
 * Web calls (features.md §7): a browser talks to an assistant over WebRTC, with no phone in between.
 * `create` makes the call row and a short-lived, single-use token; the browser sends its SDP offer with that
 * token to `server_url` (WHIP, RFC 9725) and gets the answer; the audio is a WebRTC leg in the media worker,
 * and from there the call runs exactly as a phone call does. docs/decisions.md "Web calls" says why this shape.
 */
export class WebCalls {
  private readonly pending = new Map<string, Pending>();
  /** Joined calls by session secret (the WHIP resource a DELETE ends). */
  private readonly sessions = new Map<string, { callId: string; rtp: RtpSession }>();

  constructor(private readonly o: WebCallsOptions) {}

  /** POST /web-calls: the call row (connecting) and the browser's token. */
  create(req: WebCallRequest): { call_id: string; token: string; server_url: string; expires_at: string } {
    const assistant = resolveCallAssistant(this.o.store, {
      assistantId: req.assistant_id,
      transient: req.assistant,
      override: req.assistant_override,
      metadata: req.metadata,
    });
    const id = newCallId("web");
    this.o.calls.create({
      id,
      status: "connecting",
      direction: "web",
      agent_id: req.assistant_id ?? null,
      agent_name: assistant.name ?? null,
      business_name: assistant.business_name ?? null,
      room_name: id.replace(/^call-/, ""),
      assistant_config: assistant,
      metadata: assistant.metadata,
    });
    const token = randomBytes(32).toString("base64url");
    const ttl = this.o.tokenTtlMs ?? TOKEN_TTL_MS;
    const expires = setTimeout(() => {
      if (!this.pending.delete(token)) return;
      const call = this.o.calls.get(id);
      if (call && !isFinal(call.status))
        this.o.calls.transition(id, "failed", {
          end_reason: "not_joined",
          error: `No browser joined the web call within ${Math.round(ttl / 1000)} s of its token`,
        });
    }, ttl);
    expires.unref();
    this.pending.set(token, { callId: id, expires });
    return {
      call_id: id,
      token,
      server_url: `${this.o.baseUrl()}/api/v1/web-calls/connect`,
      expires_at: new Date(Date.now() + ttl).toISOString(),
    };
  }

  /**
   * The browser's offer with its token (used once): answers it, and the assistant starts on the leg. Resolves
   * with the answer SDP and the session secret that ends the call (DELETE); null for a token that is not
   * (or no longer) valid.
   */
  async connect(token: string, offer: string): Promise<{ sdp: string; session: string; callId: string } | null> {
    const pending = this.pending.get(token);
    if (!pending) return null;
    this.pending.delete(token);
    clearTimeout(pending.expires);
    const { callId } = pending;
    const rtp = new RtpSession();
    let sdp: string;
    try {
      sdp = await rtp.openWebRtc(offer, this.o.host, this.o.ports);
    } catch (err) {
      rtp.close();
      this.o.calls.transition(callId, "failed", {
        end_reason: "webrtc_error",
        error: `The browser's WebRTC offer could not be answered: ${(err as Error).message}`,
      });
      throw invalid(`The SDP offer could not be answered: ${(err as Error).message}`, "invalid_sdp");
    }
    const session = randomBytes(24).toString("base64url");
    this.sessions.set(session, { callId, rtp });
    this.answered(callId, rtp, session);
    return { sdp, session, callId };
  }

  /** DELETE of the WHIP resource: the browser hung up. False when no such session is live. */
  hangUp(session: string): boolean {
    const s = this.sessions.get(session);
    if (!s) return false;
    this.browserLeft(s.callId, session);
    return true;
  }

  private answered(callId: string, rtp: RtpSession, session: string): void {
    const { calls, store } = this.o;
    calls.transition(callId, "in-progress");
    const assistant = store.calls.assistantConfig(callId);
    if (assistant?.recording_enabled === true || store.settings.get("recording_enabled", false)) {
      mkdirSync(this.o.recordingsDir, { recursive: true, mode: 0o700 });
      rtp.on("recordFailed", (reason) => calls.problem(callId, `Recording stopped: ${reason}; the call goes on`));
      rtp.startRecording(join(this.o.recordingsDir, `${callId}.wav`));
      store.calls.update(callId, {
        recording_url: `${this.o.baseUrl()}/api/v1/calls/${encodeURIComponent(callId)}/recording`,
      });
    }
    rtp.on("gone", () => this.browserLeft(callId, session));
    const leg: CallLeg = {
      audio: rtpCallAudio(rtp),
      tap: () => rtpCallAudio(rtp),
      hangup: async () => this.closeSession(callId, session),
      transfer: async () => ({
        method: "refer",
        ok: false,
        reason: "A web call has no phone line to transfer",
      }),
      sendDtmf: () => false,
      media: rtp,
    };
    calls.liveCall(callId)?.answer(leg);
  }

  /** The browser hung up or went away: the call ends as a caller's hang-up, unless ours ended it already. */
  private browserLeft(callId: string, session: string): void {
    const call = this.o.calls.get(callId);
    if (call && !isFinal(call.status)) this.o.calls.transition(callId, "ended", { end_reason: "user_hangup" });
    this.closeSession(callId, session);
  }

  private closeSession(callId: string, session: string): void {
    const s = this.sessions.get(session);
    if (!s) return;
    this.sessions.delete(session);
    this.o.calls.mergeMetrics(callId, { media: s.rtp.mediaReport() });
    s.rtp.close();
  }

  /** Engine stop: every live web call's leg closes (their rows are closed by the engine's own stop). */
  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.expires);
    this.pending.clear();
    for (const [session, s] of this.sessions) this.closeSession(s.callId, session);
  }
}
