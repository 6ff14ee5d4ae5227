/**
 * Just enough of a SIP message to route and retransmit it: the start line, the top Via, Call-ID and
 * CSeq. Full parsing stays with sip.js; this runs on every datagram, so it never throws and never
 * looks past the header block.
 */
export interface SipMessageInfo {
  kind: "request" | "response";
  method: string; // request method, or the CSeq method for responses
  status: number; // 0 for requests
  requestUri: string; // "" for responses
  callId: string;
  cseq: number;
  branch: string;
  via: {
    protocol: string;
    host: string;
    port: number | null;
    received: string | null;
    rport: number | null;
    hasRport: boolean;
  } | null;
}

const COMPACT: Record<string, string> = {
  v: "via",
  i: "call-id",
  f: "from",
  t: "to",
  m: "contact",
  l: "content-length",
  c: "content-type",
};

export function headerBlock(text: string): string {
  const end = text.indexOf("\r\n\r\n");
  return end === -1 ? text : text.slice(0, end);
}

/** First value of a header (compact forms understood); for Via only the first entry of a comma list. */
export function firstHeader(block: string, name: string): string | null {
  const lines = block.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    let key = line.slice(0, colon).trim().toLowerCase();
    key = COMPACT[key] ?? key;
    if (key === name) return line.slice(colon + 1).trim();
  }
  return null;
}

export function parseVia(value: string): SipMessageInfo["via"] {
  const first = value.split(",")[0].trim();
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s;:]+)(?::(\d+))?\s*(.*)$/.exec(first);
  if (!m) return null;
  const params = m[4];
  const param = (name: string) => {
    const p = new RegExp(`;\\s*${name}(?:=([^;\\s]+))?`, "i").exec(params);
    return p ? (p[1] ?? "") : null;
  };
  const rport = param("rport");
  return {
    protocol: m[1].toUpperCase(),
    host: m[2].replace(/^\[|\]$/g, ""),
    port: m[3] ? Number(m[3]) : null,
    received: param("received") || null,
    rport: rport ? Number(rport) : null,
    hasRport: rport !== null,
  };
}

export function parseMessageInfo(text: string): SipMessageInfo | null {
  const block = headerBlock(text);
  const firstLineEnd = block.indexOf("\r\n");
  const startLine = firstLineEnd === -1 ? block : block.slice(0, firstLineEnd);
  const viaValue = firstHeader(block, "via");
  const via = viaValue ? parseVia(viaValue) : null;
  const branch = viaValue ? (/;\s*branch=([^;,\s]+)/i.exec(viaValue)?.[1] ?? "") : "";
  const cseqMatch = /^(\d+)\s+([A-Za-z]+)/.exec(firstHeader(block, "cseq") ?? "");
  const callId = firstHeader(block, "call-id") ?? "";
  const response = /^SIP\/2\.0\s+(\d{3})\s/.exec(startLine + " ");
  if (response) {
    return {
      kind: "response",
      status: Number(response[1]),
      method: cseqMatch?.[2].toUpperCase() ?? "",
      requestUri: "",
      callId,
      cseq: cseqMatch ? Number(cseqMatch[1]) : 0,
      branch,
      via,
    };
  }
  const request = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(startLine);
  if (!request) return null;
  return {
    kind: "request",
    status: 0,
    method: request[1].toUpperCase(),
    requestUri: request[2],
    callId,
    cseq: cseqMatch ? Number(cseqMatch[1]) : 0,
    branch,
    via,
  };
}
