/** The person's caller (A) and the person they consult (B): one sipp plays both, told apart by the number dialled. */
export const A_NUMBER = "+31612340001";
export const B_NUMBER = "+31612340002";

/**
 * What a far end expects after answering: our hold re-INVITE (it fails the scenario unless it says
 * a=sendonly), our resume (a=sendrecv), our BYE, or it hangs up itself after a pause.
 */
export type Step = "hold" | "resume" | "bye" | { hangUpAfterMs: number };

const cdata = (s: string) => `<![CDATA[\n${s}\n]]>`;
const sdp = (port: string, version: number, direction: string) => `v=0
o=sipp 53655765 ${version} IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio ${port} RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=${direction}`;
const ok = (body: string, tag = "") => `SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]${tag}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
${body ? "Content-Type: application/sdp\n" : ""}Content-Length: [len]
${body ? `\n${body}` : ""}`;

/**
 * One sipp UAS for both calls: answers A's and B's INVITE with SDP naming the test's own RTP endpoint for
 * each (`rtpa`, `rtpb`), then follows each call's steps. B rings for `bRingMs` before it answers.
 */
export function attendedUas(a: Step[], b: Step[], bRingMs = 0): string {
  const checks: string[] = [];
  const steps = (who: string, port: string, list: Step[]) => {
    let version = 1;
    return list
      .map((step, i) => {
        if (step === "hold" || step === "resume") {
          const v = `${who}${i}${step}`;
          checks.push(v);
          version++;
          const [offer, answer] = step === "hold" ? ["sendonly", "recvonly"] : ["sendrecv", "sendrecv"];
          return `<recv request="INVITE"><action><ereg regexp="a=${offer}" search_in="body" check_it="true" assign_to="${v}"/></action></recv>
  <send>${cdata(ok(sdp(port, version, answer)))}</send>
  <recv request="ACK"/>`;
        }
        if (step === "bye")
          return `<recv request="BYE" timeout="25000"/>
  <send>${cdata(ok(""))}</send>`;
        // Our own BYE: From is the INVITE's To with our tag, To its From (with the engine's tag).
        return `<pause milliseconds="${step.hangUpAfterMs}"/>
  <send>${cdata(`BYE [$${who}contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$${who}to];tag=[pid]SIPpTag01[call_number]
To: [$${who}from]
[last_Call-ID:]
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0
`)}</send>
  <recv response="200"/>`;
      })
      .join("\n  ");
  };
  const capture = (
    who: string,
  ) => `<ereg regexp="sip:[^>]*" search_in="hdr" header="Contact:" assign_to="${who}contact"/>
      <ereg regexp="&lt;.*" search_in="hdr" header="From:" assign_to="${who}from"/>
      <ereg regexp="&lt;[^>]*&gt;" search_in="hdr" header="To:" assign_to="${who}to"/>`;
  const body = `<recv request="INVITE">
    <action>
      <ereg regexp="\\${B_NUMBER}" search_in="hdr" header="To:" assign_to="isb"/>
      ${capture("a")}
      ${capture("b")}
    </action>
  </recv>
  <nop next="b" test="isb"/>
  <send retrans="500">${cdata(ok(sdp("[$rtpa]", 1, "sendrecv"), ";tag=[pid]SIPpTag01[call_number]"))}</send>
  <recv request="ACK"/>
  ${steps("a", "[$rtpa]", a)}
  <nop next="done"/>
  <label id="b"/>
  <send>${cdata(`SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
`)}</send>
  <pause milliseconds="${bRingMs}"/>
  <send retrans="500">${cdata(ok(sdp("[$rtpb]", 1, "sendrecv"), ";tag=[pid]SIPpTag01[call_number]"))}</send>
  <recv request="ACK"/>
  ${steps("b", "[$rtpb]", b)}
  <label id="done"/>`;
  const refs = ["isb", "acontact", "afrom", "ato", "bcontact", "bfrom", "bto", ...checks];
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="attended transfer: the call and its consultation">
  <Global variables="rtpa,rtpb" />
  ${body}
  <Reference variables="${refs.join(",")}"/>
</scenario>
`;
}
