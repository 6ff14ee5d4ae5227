import type { Store } from "../store/index.js";

import { conflict } from "../domain/errors.js";

/**
 * Refuses an outbound call whose failure is certain before anything is dialled, naming what to add or
 * enable. It follows the dialer's own choice of trunk (the number's trunk, else the first active one), so
 * what passes here fails later only for network reasons (busy, no answer, unreachable carrier).
 */
export function checkOutboundRoute(
  store: Store,
  number: { id: string; phone_number: string; sip_trunk_id: string | null } | null,
): void {
  if (number?.sip_trunk_id) {
    const trunk = store.sipTrunks.get(number.sip_trunk_id);
    if (trunk && !trunk.is_active) {
      throw conflict(
        `SIP trunk '${trunk.name}', which carries number ${number.phone_number}, is disabled: enable it (PATCH /api/v1/sip-trunks/${trunk.id} ` +
          `{"is_active": true}) or attach the number to another trunk`,
        "sip_trunk_inactive",
      );
    }
    if (trunk) return;
  }
  if (store.sipTrunks.activeIds().length > 0) return;
  const trunks = store.sipTrunks.list();
  if (trunks.length > 0) {
    throw conflict(
      `Every SIP trunk is disabled (${trunks.map((t) => `'${t.name}'`).join(", ")}): enable one with PATCH /api/v1/sip-trunks/{id} {"is_active": true}`,
      "sip_trunk_inactive",
    );
  }
  if (number) {
    throw conflict(
      `Number ${number.phone_number} has no SIP trunk, and none is configured: add one with POST /api/v1/sip-trunks ` +
        `and attach it with PATCH /api/v1/numbers/${number.id} {"sip_trunk_id": …}, then place the call again`,
      "no_sip_trunk",
    );
  }
  throw conflict(
    "No SIP trunk is configured: add one with POST /api/v1/sip-trunks, then place the call again",
    "no_sip_trunk",
  );
}
