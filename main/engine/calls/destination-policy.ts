import type { Store } from "../store/index.js";
import { forbidden } from "../domain/errors.js";

/** Settings key of the allow-list: E.164 prefixes ("+31", "+4420") any outbound leg may dial; null = the default. */
export const ALLOWED_PREFIXES_SETTING = "outbound_allowed_prefixes";

// ITU-T E.164 country calling codes: 1 and 7 have one digit, these have two, every other code has three.
const TWO_DIGIT = new Set([
  "20",
  "27",
  "30",
  "31",
  "32",
  "33",
  "34",
  "36",
  "39",
  "40",
  "41",
  "43",
  "44",
  "45",
  "46",
  "47",
  "48",
  "49",
  "51",
  "52",
  "53",
  "54",
  "55",
  "56",
  "57",
  "58",
  "60",
  "61",
  "62",
  "63",
  "64",
  "65",
  "66",
  "81",
  "82",
  "84",
  "86",
  "90",
  "91",
  "92",
  "93",
  "94",
  "95",
  "98",
]);

/** `+<country code>` of an E.164 number. */
export function countryPrefix(e164: string): string | null {
  const digits = /^\+(\d{4,15})$/.exec(e164)?.[1];
  if (!digits) return null;
  if (digits[0] === "1" || digits[0] === "7") return `+${digits[0]}`;
  return `+${digits.slice(0, TWO_DIGIT.has(digits.slice(0, 2)) ? 2 : 3)}`;
}

/**
 * The phone number a destination dials, when it dials one: E.164, or the user part of a SIP URI that is a
 * number (`sip:+1900…@carrier`). Named SIP endpoints (`sip:reception@pbx.local`) dial no number.
 */
export function dialledNumber(destination: string): string | null {
  const user = /^sips?:([^@;]+)@/i.exec(destination)?.[1] ?? destination;
  const n = user.replace(/[\s().-]/g, "");
  if (/^\+\d{4,15}$/.test(n)) return n;
  if (/^00\d{4,15}$/.test(n)) return `+${n.slice(2)}`;
  return /^\d{4,15}$/.test(n) ? n : null;
}

/**
 * The prefixes in force: the saved list, else the countries of the organization's own numbers; null (no
 * restriction) while neither exists — no country is known then, and no caller can reach an assistant
 * without a number, which is where toll fraud comes from.
 */
export function allowedPrefixes(store: Store): string[] | null {
  const saved = store.settings.get<string[] | null>(ALLOWED_PREFIXES_SETTING, null);
  if (saved) return saved;
  const numbers = store.numbers.phoneNumbers();
  const countries = [...new Set(numbers.map(countryPrefix).filter((p): p is string => p !== null))];
  return countries.length ? countries : null;
}

/**
 * Toll-fraud guard for every outbound leg (API calls, transfers, the model's transfer tool): an E.164
 * destination must start with an allowed prefix. A number without a country code (a PBX extension) and a
 * named SIP endpoint go to the trunk as they are. Returns why a destination is refused, or null.
 */
export function destinationRefusal(store: Store, destination: string): string | null {
  const number = dialledNumber(destination);
  if (!number || !number.startsWith("+")) return null;
  const allowed = allowedPrefixes(store);
  if (!allowed || allowed.some((p) => number.startsWith(p))) return null;
  return allowed.length
    ? `${number} is outside the allowed destinations (${allowed.join(", ")}): add its prefix with PATCH /api/v1/settings {"${ALLOWED_PREFIXES_SETTING}": [...]} if you mean to call it`
    : `${number} cannot be dialled: no outbound destinations are allowed yet (add a number, or set PATCH /api/v1/settings {"${ALLOWED_PREFIXES_SETTING}": ["+31"]})`;
}

export function checkDestination(store: Store, destination: string): void {
  const why = destinationRefusal(store, destination);
  if (why) throw forbidden(why, "destination_not_allowed");
}
