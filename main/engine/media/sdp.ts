import { CODECS, type G711Codec } from "./codecs/g711.js";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

export interface RemoteAudio {
  address: string;
  port: number;
  /** Payload types in the sender's order of preference, with their codec names. */
  formats: { pt: number; name: string; clockRateHz: number }[];
  telephoneEventPt: number | null;
  direction: Direction;
  ptimeMs: number | null;
}

export type ParseResult = { ok: true; audio: RemoteAudio } | { ok: false; error: string };

const STATIC: Record<number, { name: string; clockRateHz: number }> = {
  0: { name: "PCMU", clockRateHz: 8000 },
  8: { name: "PCMA", clockRateHz: 8000 },
  9: { name: "G722", clockRateHz: 8000 },
};

/** Reads the first audio stream of an SDP body; never throws. */
export function parseSdp(sdp: string): ParseResult {
  if (typeof sdp !== "string" || !/^v=0/m.test(sdp)) return { ok: false, error: "not an SDP body" };
  const lines = sdp.split(/\r?\n/);
  let sessionAddress: string | null = null;
  let sessionDirection: Direction = "sendrecv";
  let audio:
    | (RemoteAudio & { pts: number[]; rtpmap: Map<number, { name: string; clockRateHz: number }>; addr: string | null })
    | null = null;
  let inAudio = false;
  for (const line of lines) {
    const [k, v] = [line.slice(0, 2), line.slice(2).trim()];
    if (k === "m=") {
      if (audio) break; // only the first audio stream is used
      const m = /^audio\s+(\d+)(?:\/\d+)?\s+RTP\/S?AVP\S*\s+([\d\s]+)$/.exec(v);
      inAudio = Boolean(m);
      if (m) {
        const port = Number(m[1]);
        if (port > 65535) return { ok: false, error: "audio port out of range" };
        audio = {
          address: "",
          port,
          formats: [],
          telephoneEventPt: null,
          direction: sessionDirection,
          ptimeMs: null,
          pts: m[2].trim().split(/\s+/).map(Number),
          rtpmap: new Map(),
          addr: null,
        };
      }
    } else if (k === "c=") {
      const addr = /^IN\s+IP[46]\s+(\S+)/.exec(v)?.[1] ?? null;
      if (inAudio && audio) audio.addr = addr;
      else if (!audio) sessionAddress = addr;
    } else if (k === "a=") {
      const dir = /^(sendrecv|sendonly|recvonly|inactive)$/.exec(v)?.[1] as Direction | undefined;
      if (dir) {
        if (inAudio && audio) audio.direction = dir;
        else if (!audio) sessionDirection = dir;
        continue;
      }
      if (!inAudio || !audio) continue;
      const rtpmap = /^rtpmap:(\d+)\s+([\w.-]+)\/(\d+)/.exec(v);
      if (rtpmap) audio.rtpmap.set(Number(rtpmap[1]), { name: rtpmap[2], clockRateHz: Number(rtpmap[3]) });
      const ptime = /^ptime:(\d+)/.exec(v);
      if (ptime) audio.ptimeMs = Number(ptime[1]);
    }
  }
  if (!audio) return { ok: false, error: "no audio stream in the SDP" };
  const address = audio.addr ?? sessionAddress;
  if (!address) return { ok: false, error: "no connection address in the SDP" };
  for (const pt of audio.pts) {
    const f = audio.rtpmap.get(pt) ?? STATIC[pt];
    if (!f) continue;
    if (f.name.toLowerCase() === "telephone-event") {
      audio.telephoneEventPt ??= pt;
      continue;
    }
    audio.formats.push({ pt, name: f.name.toUpperCase(), clockRateHz: f.clockRateHz });
  }
  const { pts: _p, rtpmap: _r, addr: _a, ...result } = audio;
  return { ok: true, audio: { ...result, address } };
}

export interface Negotiated {
  codec: G711Codec;
  pt: number;
  telephoneEventPt: number | null;
}

/** The first of the offerer's formats we support (their preference wins), or null → 488. */
export function negotiate(remote: RemoteAudio): Negotiated | null {
  for (const f of remote.formats) {
    const codec = CODECS.find((c) => c.name === f.name && c.clockRateHz === f.clockRateHz);
    if (codec) return { codec, pt: f.pt, telephoneEventPt: remote.telephoneEventPt };
  }
  return null;
}

const TE_DEFAULT_PT = 101;

/** Our SDP: an offer lists every codec we have; an answer only the negotiated one (+ telephone-event). */
export function buildSdp(o: {
  address: string;
  port: number;
  sessionId: number;
  version: number;
  codecs: { pt: number; name: string }[];
  telephoneEventPt: number | null;
  direction: Direction;
}): string {
  const ip = o.address.includes(":") ? "IP6" : "IP4";
  const pts = [...o.codecs.map((c) => c.pt), ...(o.telephoneEventPt !== null ? [o.telephoneEventPt] : [])];
  const lines = [
    "v=0",
    `o=voicedock ${o.sessionId} ${o.version} IN ${ip} ${o.address}`,
    "s=VoiceDock",
    `c=IN ${ip} ${o.address}`,
    "t=0 0",
    `m=audio ${o.port} RTP/AVP ${pts.join(" ")}`,
    ...o.codecs.map((c) => `a=rtpmap:${c.pt} ${c.name}/8000`),
    ...(o.telephoneEventPt !== null
      ? [`a=rtpmap:${o.telephoneEventPt} telephone-event/8000`, `a=fmtp:${o.telephoneEventPt} 0-16`]
      : []),
    "a=ptime:20",
    `a=${o.direction}`,
  ];
  return lines.join("\r\n") + "\r\n";
}

export const OFFER_CODECS = CODECS.map((c) => ({ pt: c.pt, name: c.name }));
export { TE_DEFAULT_PT };
