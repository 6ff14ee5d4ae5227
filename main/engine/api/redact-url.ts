/** Query parameters that carry a credential (browsers cannot set headers on a WebSocket or an <audio> element). */
const SECRET_PARAMS = new Set(["api_key", "token"]);

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

/**
 * Masks credential values in a request URL for the log. The name is compared after percent-decoding,
 * because the query parser decodes it too: `?api%5Fkey=` authenticates exactly like `?api_key=`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const pairs = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodeName(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join("&")}`;
}
