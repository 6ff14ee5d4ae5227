import type { SipTrunk, SipTrunkInput, Transport } from "../../api/types";

/** The trunk form's state: secrets start empty because the API never returns them. */
export interface TrunkDraft {
  name: string;
  host: string;
  port: number | undefined;
  transport: Transport;
  username: string;
  password: string;
  register: boolean;
  is_active: boolean;
  outbound_proxy: string;
  tls_ca: string;
  clear_tls_ca: boolean;
  keepalive_seconds: number;
  stun_server: string;
  /** null: no limit. */
  max_channels: number | null;
}

export function draftOf(trunk: SipTrunk | null): TrunkDraft {
  return {
    name: trunk?.name ?? "",
    host: trunk?.host ?? "",
    port: trunk?.port ?? 5060,
    transport: trunk?.transport ?? "udp",
    username: trunk?.username ?? trunk?.auth_username ?? "",
    password: "",
    register: trunk?.register ?? true,
    is_active: trunk?.is_active ?? true,
    outbound_proxy: trunk?.outbound_proxy ?? "",
    tls_ca: "",
    clear_tls_ca: false,
    keepalive_seconds: trunk?.keepalive_seconds ?? 25,
    stun_server: trunk?.stun_server ?? "",
    max_channels: trunk?.max_channels ?? null,
  };
}

const orNull = (s: string) => (s.trim() ? s.trim() : null);

/**
 * The request body. Creating sends what is filled in; editing sends only what changed, and a secret
 * only when one was typed (empty means "keep the saved one").
 */
export function bodyOf(draft: TrunkDraft, trunk: SipTrunk | null): SipTrunkInput {
  const full: SipTrunkInput = {
    name: draft.name.trim(),
    host: draft.host.trim(),
    port: draft.port,
    transport: draft.transport,
    username: orNull(draft.username),
    register: draft.register,
    is_active: draft.is_active,
    outbound_proxy: orNull(draft.outbound_proxy),
    keepalive_seconds: draft.keepalive_seconds,
    stun_server: orNull(draft.stun_server),
    max_channels: draft.max_channels,
  };
  if (draft.password) full.password = draft.password;
  if (draft.tls_ca.trim()) full.tls_ca = draft.tls_ca.trim();
  else if (draft.clear_tls_ca) full.tls_ca = null;
  if (!trunk) {
    for (const k of Object.keys(full) as (keyof SipTrunkInput)[]) if (full[k] === null) delete full[k];
    return full;
  }
  const saved = draftOf(trunk);
  const before: SipTrunkInput = {
    name: saved.name,
    host: saved.host,
    port: saved.port,
    transport: saved.transport,
    username: orNull(saved.username),
    register: saved.register,
    is_active: saved.is_active,
    outbound_proxy: orNull(saved.outbound_proxy),
    keepalive_seconds: saved.keepalive_seconds,
    stun_server: orNull(saved.stun_server),
    max_channels: saved.max_channels,
  };
  const changed: SipTrunkInput = {};
  for (const k of Object.keys(full) as (keyof SipTrunkInput)[])
    if (full[k] !== before[k]) Object.assign(changed, { [k]: full[k] });
  return changed;
}
