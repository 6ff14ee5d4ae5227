/**
 * A typed phone number in E.164 ("+31 6-1234 5678" → "+31612345678"), or null when it is not one: the API
 * takes E.164 only, and saying so at the field is kinder than the API's pattern error.
 */
export function toE164(typed: string): string | null {
  const n = typed.replace(/[\s().-]/g, "");
  return /^\+[1-9]\d{6,14}$/.test(n) ? n : null;
}
