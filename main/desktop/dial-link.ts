/**
 * `sip:` and `tel:` links (a click in a CRM or a web page) pre-fill the console's dialler. They never dial:
 * a link is input from any web page, so a person confirms every call, and the destination policy still
 * applies when they do.
 */

/** The number or SIP user a link names, or null when the link is not one we take. */
export function numberFromLink(link: string): string | null {
  const m = /^(sips?|tel):(.*)$/i.exec(link.trim());
  if (!m) return null;
  let target = m[2]!;
  try {
    target = decodeURIComponent(target);
  } catch {
    return null;
  }
  // Drop URI parameters and headers (`;phone-context=…`, `?subject=…`) and, for SIP, the host part.
  target = target.split(/[;?]/)[0]!.replace(/^\/\//, "");
  if (m[1]!.toLowerCase() !== "tel") target = target.split("@")[0]!;
  // Visual separators allowed by RFC 3966 go; what is left must be a dialable string.
  const dialable = target.replace(/[\s\-.()]/g, "");
  return /^\+?[0-9*#]{2,32}$/.test(dialable) ? dialable : null;
}

/** The first `sip:`/`tel:` link among a process's arguments (how Windows and Linux hand links to an app). */
export function linkFromArgv(argv: readonly string[]): string | null {
  return argv.find((a) => /^(sips?|tel):/i.test(a)) ?? null;
}

/**
 * Where the console shows a link's number (hash routing: the window's URL is the console's): the calls
 * list searched for it, i.e. its history, until the person's dialler (issue #16) has a page of its own.
 */
export function dialRoute(consoleUrl: string, number: string): string {
  return `${consoleUrl.replace(/#.*$/, "")}#/calls?q=${encodeURIComponent(number)}`;
}
