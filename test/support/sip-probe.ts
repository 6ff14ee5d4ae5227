import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { assertTestAddress } from "./test-subnets.js";

/**
 * Hand-written SIP requests from a plain UDP socket, for checking peers (and the engine) from the outside
 * without trusting our own SIP stack: readiness probes, OPTIONS, an INVITE from a stranger, and the
 * "fetch bindings" REGISTER that shows what Contact a registrar stored.
 *
 * The socket may live in another network namespace: the exchange runs in a small node child process,
 * started through `ip netns exec` when a namespace is given, so it can bind to that namespace's address.
 */

export interface SipResponse {
  status: number;
  reason: string;
  raw: string;
  header(name: string): string[];
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface ExchangeOptions {
  /** Namespace to send from (default: the test's own). */
  netns?: string;
  /** Local address to bind (default: any). Must belong to `netns`. */
  bind?: string;
  to: Endpoint;
  /** The request; `@LOCAL_ADDRESS@`/`@LOCAL_PORT@` become the socket's address and port (for Via/Contact/SDP); Content-Length is set. */
  message: string;
  /** Give up after this long (then the answer has no final response). */
  timeoutMs?: number;
  /** Resend until a response arrives (UDP may lose the first one, or the peer is still starting). */
  retransmitMs?: number;
}

/**
 * The child: binds, sends, and prints every datagram it got as JSON once a final response (≥ 200) arrived
 * or the time is up. Plain JavaScript, so it runs as `node -e` in any namespace.
 */
const EXCHANGE_SCRIPT = `
const dgram = require("node:dgram");
const o = JSON.parse(process.argv[1]);
const sock = dgram.createSocket("udp4");
const got = [];
let timer = null;
let finished = false;
const done = () => {
  if (finished) return;
  finished = true;
  clearInterval(timer);
  sock.close();
  process.stdout.write(JSON.stringify(got));
};
sock.on("error", (e) => { process.stderr.write(String(e)); done(); });
let sent = "";
// A refused INVITE is acknowledged (RFC 3261 §17.1.1.3), as any UA would, so the answer is not resent.
const ackFor = (response) => {
  const header = (text, name) => (new RegExp("^" + name + ":[^\\r\\n]*", "im").exec(text) || [""])[0];
  const ruri = sent.split(" ")[1];
  const cseq = /^CSeq:\\s*(\\d+)/im.exec(sent)[1];
  return ["ACK " + ruri + " SIP/2.0", header(sent, "Via"), "Max-Forwards: 70", header(sent, "From"), header(response, "To"),
    header(sent, "Call-ID"), "CSeq: " + cseq + " ACK", "Content-Length: 0", "", ""].join("\\r\\n");
};
sock.on("message", (m) => {
  const text = m.toString("latin1");
  got.push(text);
  const status = /^SIP\\/2\\.0 (\\d{3})/.exec(text);
  if (status) clearInterval(timer); // answered: stop resending (any response ends INVITE retransmissions)
  if (!status || Number(status[1]) < 200) return;
  if (sent.startsWith("INVITE ") && Number(status[1]) >= 300) sock.send(ackFor(text), o.port, o.address, done);
  else done();
});
// A connected socket tells which local address routes to the target (as \`ip route get\` would); the
// sending socket stays unconnected so answers from another address of the peer still arrive.
const route = dgram.createSocket("udp4");
route.connect(o.port, o.address, () => {
  const via = o.bind || route.address().address;
  route.close();
  sock.bind(0, o.bind || undefined, () => {
    sent = o.message.replaceAll("@LOCAL_ADDRESS@", via).replaceAll("@LOCAL_PORT@", String(sock.address().port));
    // The body's length changed with the placeholders: state it again.
    const body = sent.slice(sent.indexOf("\\r\\n\\r\\n") + 4);
    sent = sent.replace(/^Content-Length:.*$/im, "Content-Length: " + Buffer.byteLength(body));
    const send = () => sock.send(sent, o.port, o.address);
    send();
    if (o.retransmitMs) timer = setInterval(send, o.retransmitMs);
    setTimeout(done, o.timeoutMs).unref();
  });
});
`;

/** Sends one request and returns every response to it (provisional ones included, final one last). */
export async function sipExchange(o: ExchangeOptions): Promise<SipResponse[]> {
  assertTestAddress(o.to.address);
  const args = [
    "-e",
    EXCHANGE_SCRIPT,
    JSON.stringify({
      bind: o.bind,
      address: o.to.address,
      port: o.to.port,
      message: o.message,
      timeoutMs: o.timeoutMs ?? 3000,
      retransmitMs: o.retransmitMs ?? 0,
    }),
  ];
  const argv = o.netns ? ["ip", "netns", "exec", o.netns, process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  if (code !== 0 || !out) throw new Error(`SIP probe to ${o.to.address}:${o.to.port} failed (exit ${code}): ${err}`);
  return (JSON.parse(out) as string[]).map(parseResponse).filter((r): r is SipResponse => r !== null);
}

/** Status line and headers of a response; requests (and noise) give null. Enough for test assertions. */
export function parseResponse(raw: string): SipResponse | null {
  const m = /^SIP\/2\.0 (\d{3}) ?([^\r\n]*)/.exec(raw);
  if (!m) return null;
  const head = raw.split("\r\n\r\n")[0].split("\r\n").slice(1);
  const short: Record<string, string> = {
    m: "contact",
    v: "via",
    f: "from",
    t: "to",
    i: "call-id",
    l: "content-length",
    k: "supported",
    c: "content-type",
  };
  return {
    status: Number(m[1]),
    reason: m[2],
    raw,
    header(name) {
      const want = name.toLowerCase();
      return head.flatMap((line) => {
        const i = line.indexOf(":");
        if (i < 0) return [];
        const key = line.slice(0, i).trim().toLowerCase();
        return (short[key] ?? key) === want ? [line.slice(i + 1).trim()] : [];
      });
    },
  };
}

/** The final (≥ 200) response of an exchange, or null when none came. */
export function finalResponse(responses: SipResponse[]): SipResponse | null {
  return responses.filter((r) => r.status >= 200).at(-1) ?? null;
}

const token = () => randomBytes(6).toString("hex");

/** Headers every request here shares; `rport` so answers come back to this socket even through NAT. */
function commonHeaders(method: string, cseq: number, from: string, to: string, callId: string): string {
  return [
    `Via: SIP/2.0/UDP @LOCAL_ADDRESS@:@LOCAL_PORT@;branch=z9hG4bK${token()};rport`,
    "Max-Forwards: 70",
    `From: <${from}>;tag=${token()}`,
    `To: <${to}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
  ].join("\r\n");
}

/** An out-of-dialog OPTIONS to `target`, as carriers send to see whether we are up. */
export function optionsRequest(target: Endpoint): string {
  const uri = `sip:${target.address}:${target.port}`;
  return `OPTIONS ${uri} SIP/2.0\r\n${commonHeaders("OPTIONS", 1, "sip:probe@@LOCAL_ADDRESS@", uri, `${token()}@probe`)}\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n`;
}

/** An INVITE for `user` at `target` with a PCMU offer, as a SIP scanner or a stray carrier would send it. */
export function inviteRequest(target: Endpoint, user: string): string {
  const uri = `sip:${user}@${target.address}:${target.port}`;
  const sdp = [
    "v=0",
    "o=- 1 1 IN IP4 @LOCAL_ADDRESS@",
    "s=-",
    "c=IN IP4 @LOCAL_ADDRESS@",
    "t=0 0",
    "m=audio 40000 RTP/AVP 0",
    "a=rtpmap:0 PCMU/8000",
    "",
  ].join("\r\n");
  return (
    `INVITE ${uri} SIP/2.0\r\n${commonHeaders("INVITE", 1, "sip:+4930123456@@LOCAL_ADDRESS@", uri, `${token()}@scanner`)}\r\n` +
    `Contact: <sip:+4930123456@@LOCAL_ADDRESS@:@LOCAL_PORT@>\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n${sdp}`
  );
}

/** Waits until a SIP server answers OPTIONS (any final response): it is up and listening there. */
export async function waitForSipServer(o: {
  netns?: string;
  bind?: string;
  to: Endpoint;
  timeoutMs?: number;
}): Promise<SipResponse> {
  const answers = await sipExchange({
    ...o,
    message: optionsRequest(o.to),
    timeoutMs: o.timeoutMs ?? 10_000,
    retransmitMs: 200,
  });
  const final = finalResponse(answers);
  if (!final)
    throw new Error(
      `no SIP server answered OPTIONS at ${o.to.address}:${o.to.port} within ${o.timeoutMs ?? 10_000} ms`,
    );
  return final;
}

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** The parameters of a `Digest …` challenge. */
function challengeParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, "").matchAll(/(\w+)=("([^"]*)"|[^,\s]+)/g))
    params[m[1].toLowerCase()] = m[3] ?? m[2];
  return params;
}

/** An Authorization header answering `challenge` (RFC 2617 MD5, with qop=auth when offered). */
export function digestAuthorization(
  challenge: string,
  method: string,
  uri: string,
  user: string,
  password: string,
): string {
  const p = challengeParams(challenge);
  const ha1 = md5(`${user}:${p.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qopAuth = p.qop
    ?.split(",")
    .map((q) => q.trim())
    .includes("auth");
  const fields = [`username="${user}"`, `realm="${p.realm}"`, `nonce="${p.nonce}"`, `uri="${uri}"`, "algorithm=MD5"];
  if (qopAuth) {
    const cnonce = token();
    const nc = "00000001";
    fields.push(
      `response="${md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`,
      "qop=auth",
      `nc=${nc}`,
      `cnonce="${cnonce}"`,
    );
  } else fields.push(`response="${md5(`${ha1}:${p.nonce}:${ha2}`)}"`);
  if (p.opaque) fields.push(`opaque="${p.opaque}"`);
  return `Digest ${fields.join(", ")}`;
}

/**
 * The Contact bindings a registrar holds for `user` (RFC 3261 §10.2.3: a REGISTER without Contact fetches
 * them), answering its digest challenge. Proves what Contact a trunk stored for us without trusting our
 * own API. Returns the Contact header values of the 200 (empty: nothing registered).
 */
export async function fetchBindings(o: {
  registrar: Endpoint;
  user: string;
  password: string;
  netns?: string;
  bind?: string;
}): Promise<string[]> {
  const uri = `sip:${o.registrar.address}:${o.registrar.port}`;
  const callId = `${token()}@bindings`;
  const register = (cseq: number, auth?: string) =>
    `REGISTER ${uri} SIP/2.0\r\n${commonHeaders("REGISTER", cseq, `sip:${o.user}@${o.registrar.address}`, `sip:${o.user}@${o.registrar.address}`, callId)}\r\n` +
    (auth ? `Authorization: ${auth}\r\n` : "") +
    "Content-Length: 0\r\n\r\n";
  const exchange = (message: string) =>
    sipExchange({ netns: o.netns, bind: o.bind, to: o.registrar, message, timeoutMs: 5000, retransmitMs: 500 });

  let final = finalResponse(await exchange(register(1)));
  if (final?.status === 401 || final?.status === 407) {
    const challenge = final.header(final.status === 401 ? "www-authenticate" : "proxy-authenticate")[0];
    final = finalResponse(
      await exchange(register(2, digestAuthorization(challenge, "REGISTER", uri, o.user, o.password))),
    );
  }
  if (final?.status !== 200)
    throw new Error(
      `fetching ${o.user}'s bindings from ${uri}: ${final ? `${final.status} ${final.reason}` : "no answer"}`,
    );
  return final.header("contact").flatMap(splitContacts);
}

/** One Contact header may list several bindings, comma-separated outside <…> and quotes. */
function splitContacts(value: string): string[] {
  return (
    value
      .match(/(?:[^,<"]|<[^>]*>|"[^"]*")+/g)
      ?.map((s) => s.trim())
      .filter(Boolean) ?? []
  );
}
