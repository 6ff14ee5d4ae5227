// Over 300 lines because it holds the one transfer procedure (REFER, then the bridged fallback, with its
// events) and the one bridge (blind and attended transfers both end in it) beside trunk sync; the SIP and
// media parts it uses are in sip/ and telephony/transfer.ts, the attended steps in attended-transfer.ts.
import type { Store } from "../store/index.js";
import type { EventBus } from "../events/bus.js";
import { SipStack } from "../sip/stack.js";
import { NO_REGISTRATION, type RegistrationState } from "../sip/registration.js";
import type { Remote } from "../sip/udp-endpoint.js";
import type { SipTimers } from "../sip/retransmitter.js";
import type { RtpPortRange, RtpSession } from "../media/rtp-session.js";
import type { CallManager } from "../calls/call-manager.js";
import { handleInvite } from "./inbound.js";
import { dialTarget, OutboundDialer, trunkHostPort } from "./outbound.js";
import { dialBridgeLeg, relayAudio, type BridgeSide } from "./transfer.js";
import { toE164 } from "./numbers.js";
import type { CallLeg, TransferOutcome } from "../calls/control.js";
import type { ConsoleRing } from "../calls/console-ring.js";
import { tlsIdentity } from "../sip/tls-identity.js";
import { isSipUri, type SipCallLeg } from "../sip/call-leg.js";
import type { BindingDeps } from "./call-binding.js";
import { AttendedTransfers } from "./attended-transfer.js";
import { join } from "node:path";

export interface TelephonyOptions {
  /** Where SIP and RTP listen (all interfaces by default). */
  host: string;
  rtpPorts: RtpPortRange;
  publicAddress?: string;
  dnsServers?: readonly string[];
  registerExpiresSeconds?: number;
  timers?: SipTimers;
  addressCheckMs?: number;
  /** UDP and TCP. */
  sipPort: number;
  /** TLS listener port, null: no TLS listener. */
  sipsPort: number | null;
  /** Where the listener's certificate comes from (own files, else self-signed kept in `tlsDir`). */
  tlsDir: string;
  sipsCertFile?: string;
  sipsKeyFile?: string;
  /** Faster retries for tests; defaults are production values. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Outbound calls not answered in this time end as failed ("no answer after N s"). */
  noAnswerSeconds?: number;
  /** Where call recordings go (stereo WAV, caller left, agent right). */
  recordingsDir: string;
  /** A REFER with no NOTIFY within this time counts as refused, and the bridged transfer is tried. */
  transferReportSeconds?: number;
  /** Rings the consoles for numbers without an active assistant. */
  ring?: ConsoleRing;
}

export type { TransferOutcome } from "../calls/control.js";

/**
 * Connects the SIP stack to the rest of the engine: trunks come from the store (and follow API changes),
 * registration states go to the API and the event stream.
 */
export class Telephony {
  readonly stack: SipStack;
  private address: Remote | null = null;
  /** SHA-256 fingerprint of the TLS listener's certificate, for users who pin it at their trunk. */
  tlsFingerprint: string | null = null;

  /**
   * What starts on an answered call once its live call has the leg: the assistant. Tests replace it to
   * drive the call's RTP themselves (or with a no-op: then the call stays open for a person).
   */
  onAnswered: (callId: string, leg: CallLeg, rtp: RtpSession) => void = (callId) =>
    this.calls.liveCall(callId)?.startAssistant();

  private readonly noAnswerSeconds: number;
  private readonly recordingsDir: string;
  private readonly transferReportMs: number;
  /** Calls being transferred now: a second transfer of the same call waits for none, it is refused. */
  private readonly transferring = new WeakSet<SipCallLeg>();
  /** The API's base URL, for recording_url; set once the HTTP server listens. */
  publicBaseUrl = "";
  /** The SIP leg of each call this engine carries, while its dialog lasts (ringing included). */
  private readonly sipLegs = new Map<string, SipCallLeg>();
  /** A person's consult-then-transfer (POST /calls/{id}/consult and /transfer/*). */
  readonly attended: AttendedTransfers;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly calls: CallManager,
    private readonly opts: TelephonyOptions,
  ) {
    this.noAnswerSeconds = opts.noAnswerSeconds ?? 60;
    this.recordingsDir = opts.recordingsDir;
    this.transferReportMs = (opts.transferReportSeconds ?? 10) * 1000;
    this.attended = new AttendedTransfers({
      store,
      calls,
      sipLeg: (id) => this.sipLegs.get(id),
      bridge: (caller, target) => this.bridge(caller, target),
    });
    this.stack = new SipStack({
      host: opts.host,
      udpPort: opts.sipPort,
      retryBaseMs: opts.retryBaseMs,
      retryMaxMs: opts.retryMaxMs,
      rtpPorts: opts.rtpPorts,
      publicAddress: opts.publicAddress,
      dnsServers: opts.dnsServers,
      registerExpiresSeconds: opts.registerExpiresSeconds,
      timers: opts.timers,
      addressCheckMs: opts.addressCheckMs,
    });
    this.stack.on("registration", (trunkId, state) => this.published(trunkId, state));
    this.stack.on("invite", (trunk, incoming) => {
      void handleInvite(
        {
          ...this.binding,
          ring: opts.ring,
          onIncoming: (id) => {
            const call = this.calls.get(id);
            if (call) this.bus.publish({ type: "call.incoming", call });
          },
        },
        trunk,
        incoming,
      ).catch(() => incoming.reject(500, "Server Internal Error"));
    });
  }

  async start(): Promise<Remote> {
    let tls = null;
    if (this.opts.sipsPort !== null) {
      const id = await tlsIdentity({
        dir: this.opts.tlsDir,
        certFile: this.opts.sipsCertFile,
        keyFile: this.opts.sipsKeyFile,
      });
      this.tlsFingerprint = id.fingerprint;
      tls = { port: this.opts.sipsPort, cert: id.cert, key: id.key };
    }
    this.address = await this.stack.start(tls);
    this.calls.setDialer(
      new OutboundDialer(this.store, this.calls, this.stack, {
        ...this.binding,
        noAnswerSeconds: this.noAnswerSeconds,
      }),
    );
    this.store.sipTrunks.setRegistrationSource(
      (id, active) =>
        this.stack.registrationOf(id) ?? {
          ...NO_REGISTRATION,
          reason: active ? "Starting: the trunk is being set up" : "This trunk is not active",
        },
    );
    for (const id of this.store.sipTrunks.activeIds()) await this.sync(id);
    return this.address;
  }

  /** UDP and TCP. */
  get sipAddress(): Remote | null {
    return this.address;
  }
  /** Requests answered 403 because they came from no trunk's address (scanners, toll fraud attempts). */
  get rejectedRequests(): number {
    return this.stack.rejectedRequests;
  }
  get sipsAddress(): Remote | null {
    return this.stack.tlsAddress;
  }

  /** Re-reads one trunk after the API created, changed or deleted it. */
  async sync(trunkId: string): Promise<void> {
    const trunk = this.store.sipTrunks.secretConfig(trunkId);
    if (!trunk) this.stack.forgetLog(trunkId);
    if (!trunk || !trunk.is_active) {
      await this.stack.removeTrunk(trunkId);
      return;
    }
    await this.stack.addTrunk({
      id: trunk.id,
      name: trunk.name,
      host: trunk.host,
      port: trunk.port,
      transport: trunk.transport,
      username: trunk.username,
      password: trunk.password,
      register: trunk.register,
      outboundProxy: trunk.outbound_proxy,
      tlsCa: trunk.tls_ca,
      keepaliveSeconds: trunk.keepalive_seconds,
      allowedSources: trunk.allowed_sources,
      stunServer: trunk.stun_server,
      inboundAuth: trunk.inbound_auth,
    });
  }

  /** How calls' SIP legs reach their rows and live calls (the same for inbound and outbound). */
  private get binding(): BindingDeps {
    return {
      store: this.store,
      calls: this.calls,
      recordingsDir: this.recordingsDir,
      baseUrl: () => this.publicBaseUrl,
      transfer: (callId, leg, destination) => this.transferLeg(callId, leg, destination),
      answered: (callId, leg, rtp) => this.onAnswered(callId, leg, rtp),
      bound: (callId, leg) => {
        this.sipLegs.set(callId, leg);
        leg.once("ended", () => {
          if (this.sipLegs.get(callId) === leg) this.sipLegs.delete(callId);
        });
      },
    };
  }

  /** Transfers a live call by id (see transferLeg); not ok when the call is not answered on this engine. */
  async transfer(callId: string, destination: string): Promise<TransferOutcome> {
    const outcome = await this.calls.liveCall(callId)?.transfer(destination);
    return (
      outcome ?? {
        method: "refer",
        ok: false,
        reason: `Call '${callId}' is not connected on this engine: only an answered call can be transferred`,
      }
    );
  }

  /**
   * Hands the caller to `destination` (E.164, or a full SIP URI) through the number's transfer trunk, else
   * the trunk the call came on: first by REFER
   * (RFC 3515), following the far end's NOTIFY reports; when it refuses, fails or stays silent, by calling
   * the destination ourselves and relaying audio between the two calls. On success the call row ends as
   * `transferred`; on failure the call stays up and the reason says why.
   */
  private async transferLeg(callId: string, live: SipCallLeg, destination: string): Promise<TransferOutcome> {
    // A bridged call keeps its SIP leg, but its row has ended: it is no longer the assistant's to hand on.
    if (!live.isUp || this.calls.get(callId)?.status !== "in-progress") {
      return {
        method: "refer",
        ok: false,
        reason: `Call '${callId}' is not connected on this engine: only an answered call can be transferred`,
      };
    }
    if (this.transferring.has(live))
      return { method: "refer", ok: false, reason: "A transfer of this call is already under way" };
    const callTrunkId = live.trunkId;
    if (!this.stack.hasTrunk(callTrunkId))
      return {
        method: "refer",
        ok: false,
        reason: "The SIP trunk this call came on is no longer active, so the call cannot be transferred",
      };
    // The number's transfer trunk (features §3: the office PBX) when it has a live one, else the call's own.
    const call = this.store.calls.get(callId);
    const transferTrunkId = call?.number_id ? this.store.numbers.get(call.number_id)?.transfer_trunk_id : null;
    const trunkId = transferTrunkId && this.stack.hasTrunk(transferTrunkId) ? transferTrunkId : callTrunkId;
    const trunk = this.store.sipTrunks.get(trunkId)!;
    const number = /^sips?:/i.test(destination.trim()) ? destination.trim() : toE164(destination);
    const target = number ? dialTarget(trunk, number) : undefined;
    if (!target || !isSipUri(target))
      return {
        method: "refer",
        ok: false,
        reason: `'${destination}' is neither a phone number in E.164 form (like +31201234567) nor a SIP URI`,
      };

    this.transferring.add(live);
    try {
      const refer = await live.refer(target, {
        firstReportMs: this.transferReportMs,
        answerMs: this.noAnswerSeconds * 1000,
      });
      this.store.calls.addEvent(callId, "transfer_attempt", {
        method: "refer",
        destination: target,
        ok: refer.ok,
        ...(refer.ok ? {} : { reason: refer.reason }),
      });
      if (refer.ok) {
        this.endAsTransferred(callId);
        // The transferee usually hangs up on its own after the 200 report; we do not wait for it to.
        await live.hangup().catch(() => undefined);
        return { method: "refer", ok: true };
      }
      if (refer.callerGone)
        return { method: "refer", ok: false, reason: `Transfer to ${destination} failed: ${refer.reason}` };

      const fromUser = call?.assistant_phone ?? trunk.username ?? "voicedock";
      const leg = await dialBridgeLeg(
        this.stack,
        trunkId,
        target,
        `sip:${fromUser}@${trunkHostPort(trunk)}`,
        this.noAnswerSeconds,
        live,
      );
      this.store.calls.addEvent(callId, "transfer_attempt", {
        method: "bridge",
        destination: target,
        ok: leg.ok,
        ...(leg.ok ? {} : { reason: leg.reason }),
      });
      if (!leg.ok) {
        const stillUp = leg.callerGone ? "" : " The caller is still on the line.";
        return {
          method: "bridge",
          ok: false,
          reason: `Transfer to ${destination} failed: ${refer.reason}, and calling it directly failed too (${leg.reason}).${stillUp}`,
        };
      }
      this.bridge({ leg: live, callId }, { leg: leg.call, callId: null });
      return { method: "bridge", ok: true };
    } finally {
      this.transferring.delete(live);
    }
  }

  /**
   * Two far ends now talk to each other through us: the caller of a blind transfer and the target we
   * dialled for it, or the two calls of a person's attended transfer. Their rows end here as `transferred`
   * (see docs/decisions.md): our part is over, and the bridge lives on until either side hangs up, when the
   * other gets our BYE and each row notes `bridge_ended`.
   */
  private bridge(caller: BridgeSide, target: BridgeSide): void {
    const rows = [caller.callId, target.callId].filter((id): id is string => id !== null);
    // Ending the rows first stops what spoke on them (an assistant), so nothing it had queued follows the relayed audio.
    for (const id of rows) this.endAsTransferred(id);
    for (const { leg } of [caller, target]) {
      leg.media!.flush();
      // The recording was consented to for our call, not for the person-to-person one after it.
      leg.media!.stopRecording();
    }
    const undo = relayAudio(caller.leg.media!, target.leg.media!);
    const started = Date.now();
    let over = false;
    const end = (by: "caller" | "target") => {
      if (over) return;
      over = true;
      undo();
      const seconds = Math.round((Date.now() - started) / 1000);
      for (const id of rows) this.store.calls.addEvent(id, "bridge_ended", { by, seconds });
      void (by === "caller" ? target : caller).leg.hangup().catch(() => undefined);
    };
    caller.leg.on("ended", () => end("caller"));
    target.leg.on("ended", () => end("target"));
    if (caller.leg.isOver) end("caller");
    else if (target.leg.isOver) end("target");
  }

  private endAsTransferred(callId: string): void {
    const call = this.calls.get(callId);
    if (call && call.status === "in-progress") this.calls.transition(callId, "ended", { end_reason: "transferred" });
  }

  private published(trunkId: string, state: RegistrationState): void {
    this.bus.publish({ type: "trunk.registration", trunk_id: trunkId, registration: state });
  }

  recordingPath(callId: string): string {
    return join(this.recordingsDir, `${callId}.wav`);
  }

  async stop(): Promise<void> {
    await this.stack.stop();
  }
}
