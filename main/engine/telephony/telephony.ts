import type { Store } from "../store/index.js";
import type { EventBus } from "../events/bus.js";
import { SipStack } from "../sip/stack.js";
import type { RegistrationState } from "../sip/registration.js";
import type { Remote } from "../sip/udp-endpoint.js";
import type { CallManager } from "../calls/call-manager.js";
import type { RtpSessionDescriptionHandler } from "../sip/rtp-sdh.js";
import { handleInvite } from "./inbound.js";
import { OutboundDialer } from "./outbound.js";
import { parseDtmfInfo } from "../media/dtmf.js";
import { SessionState, type Session } from "sip.js";
import type { CallLeg } from "../calls/control.js";
import { rtpCallAudio } from "../media/call-audio.js";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface TelephonyOptions {
  host: string;
  sipPort: number;
  /** Faster retries for tests; defaults are production values. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Outbound calls not answered in this time end as failed ("no answer after N s"). */
  noAnswerSeconds?: number;
  /** Where call recordings go (stereo WAV, caller left, agent right). */
  recordingsDir: string;
}

/**
 * Connects the SIP stack to the rest of the engine: trunks come from the store (and follow API changes),
 * registration states go to the API and the event stream.
 */
export class Telephony {
  readonly stack: SipStack;
  private address: Remote | null = null;

  /** Called when a call is answered, with its leg; the voice pipeline (and tests) attach here. */
  onAnswered: ((callId: string, leg: CallLeg, media: RtpSessionDescriptionHandler) => void) | null = null;

  private readonly noAnswerSeconds: number;
  private readonly recordingsDir: string;
  /** The API's base URL, for recording_url; set once the HTTP server listens. */
  publicBaseUrl = "";

  constructor(private readonly store: Store, private readonly bus: EventBus, private readonly calls: CallManager, opts: TelephonyOptions) {
    this.noAnswerSeconds = opts.noAnswerSeconds ?? 60;
    this.recordingsDir = opts.recordingsDir;
    this.stack = new SipStack({ host: opts.host, udpPort: opts.sipPort, retryBaseMs: opts.retryBaseMs, retryMaxMs: opts.retryMaxMs });
    this.stack.on("registration", (trunkId, state) => this.published(trunkId, state));
    this.stack.on("invite", (trunk, invitation) => {
      void handleInvite({ store: this.store, calls: this.calls, onAnswered: (id, media, session) => this.answered(id, media, session) }, trunk, invitation)
        .catch(() => invitation.reject({ statusCode: 500 }).catch(() => undefined));
    });
  }

  async start(): Promise<Remote> {
    this.address = await this.stack.start();
    this.calls.setDialer(new OutboundDialer(this.store, this.calls, this.stack, {
      noAnswerSeconds: this.noAnswerSeconds, onAnswered: (id, media, session) => this.answered(id, media, session),
    }));
    this.store.sipTrunks.setRegistrationSource((id) => this.stack.registrationOf(id) ?? { status: "unregistered", reason: "This trunk is not active", expires_at: null });
    for (const id of this.store.sipTrunks.activeIds()) await this.sync(id);
    return this.address;
  }

  get sipAddress(): Remote | null { return this.address; }

  /** Re-reads one trunk after the API created, changed or deleted it. */
  async sync(trunkId: string): Promise<void> {
    const trunk = this.store.sipTrunks.secretConfig(trunkId);
    if (!trunk || !trunk.is_active) {
      await this.stack.removeTrunk(trunkId);
      return;
    }
    await this.stack.addTrunk({
      id: trunk.id, name: trunk.name, host: trunk.host, port: trunk.port, transport: trunk.transport,
      username: trunk.username, password: trunk.password, register: trunk.register, outboundProxy: trunk.outbound_proxy, tlsCa: trunk.tls_ca,
    });
  }

  /** Every answered call: DTMF from RTP (RFC 4733) and SIP INFO lands in the call's log and the event stream. */
  private answered(callId: string, media: RtpSessionDescriptionHandler, session: Session): void {
    media.rtp.on("dtmf", (digit) => this.calls.dtmf(callId, digit, "rfc4733"));
    const assistant = this.store.calls.assistantConfig(callId);
    if (assistant?.recording_enabled === true || this.store.settings.get("recording_enabled", false)) {
      mkdirSync(this.recordingsDir, { recursive: true, mode: 0o700 });
      media.rtp.startRecording(join(this.recordingsDir, `${callId}.wav`));
      this.store.calls.update(callId, { recording_url: `${this.publicBaseUrl}/api/v1/calls/${encodeURIComponent(callId)}/recording` });
    }
    session.delegate = {
      ...session.delegate,
      onInfo: (info) => {
        const digit = parseDtmfInfo(info.request.getHeader("content-type") ?? "", info.request.body ?? "");
        if (digit) this.calls.dtmf(callId, digit, "sip-info");
        void info.accept().catch(() => undefined);
      },
    };
    const leg: CallLeg = {
      audio: rtpCallAudio(media.rtp),
      hangup: async () => { if (session.state === SessionState.Established) await session.bye(); },
      transfer: async (destination) => {
        // Blind transfer with bridged fallback lives in Telephony.transfer (REFER, RFC 3515).
        const transfer = (this as { transfer?: (id: string, to: string) => Promise<{ ok: boolean }> }).transfer;
        return transfer ? (await transfer.call(this, callId, destination)).ok : false;
      },
      sendDtmf: (digits) => media.rtp.sendDtmf(digits),
    };
    this.onAnswered?.(callId, leg, media);
  }

  private published(trunkId: string, state: RegistrationState): void {
    this.bus.publish({ type: "trunk.registration", trunk_id: trunkId, registration: state });
  }

  recordingPath(callId: string): string { return join(this.recordingsDir, `${callId}.wav`); }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}
