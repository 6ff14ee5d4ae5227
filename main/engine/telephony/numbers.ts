/** A SIP user part as E.164 when it looks like a phone number: "0031…" → "+31…", "3185…" → "+3185…". */
export function toE164(user: string | undefined | null): string | null {
  if (!user) return null;
  const cleaned = decodeURIComponent(user).replace(/[\s().-]/g, "");
  if (/^\+[1-9]\d{6,14}$/.test(cleaned)) return cleaned;
  if (/^00[1-9]\d{6,14}$/.test(cleaned)) return `+${cleaned.slice(2)}`;
  if (/^[1-9]\d{6,14}$/.test(cleaned)) return `+${cleaned}`;
  return null;
}
