/** What a person should read when the far end refuses a call we placed (the call's `error` text). */
export function describeFailure(code: number, phrase: string, noAnswerSeconds: number): string {
  if (code === 486 || code === 600) return "busy";
  if (code === 603) return "declined";
  if (code === 404 || code === 604) return "not found";
  if (code === 408 || code === 480 || code === 487) return `no answer after ${noAnswerSeconds} s`;
  if (code === 401 || code === 407 || code === 403)
    return `the SIP trunk refused to place the call (${code} ${phrase}): check the trunk's credentials`;
  if (code === 484) return "the number is incomplete or invalid";
  if (code === 488) return "no common audio codec with the far end";
  return `the call failed (${code} ${phrase})`;
}
