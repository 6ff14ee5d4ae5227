import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startTestEngine, type TestEngine } from "../../helpers/engine.js";
import { hasKamailio, SHARED, startKamailio, type Kamailio } from "../../support/kamailio.js";
import { hasBaresip, runBaresip } from "../../helpers/baresip.js";
import { hasSipp } from "../../helpers/sipp.js";
import { freeUdpPort } from "../../support/ports.js";
import { toTelephoneWav } from "../../support/audio.js";

const UAC_WITH_DTMF = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call, press 1234#, hang up">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_dtmf="1234#"/></action></nop>
  <pause milliseconds="3000"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
`;

describe("DTMF", () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.skipIf(!hasSipp)(
    "digits '1234#' pressed by the peer (RFC 4733) arrive in order without duplicates (skipped only where sip-tester is not installed)",
    async () => {
      const assistant = (
        (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "IVR" } })).json()) as any
      ).assistant.id;
      const sippPort = await freeUdpPort();
      const mediaPort = await freeUdpPort(false);
      await t.api("/api/v1/sip-trunks", {
        method: "POST",
        json: { name: "sipp uac", host: "127.0.0.1", port: sippPort },
      });
      await t.api("/api/v1/numbers", {
        method: "POST",
        json: { phone_number: "+15550002222", assistant_id: assistant },
      });
      for (let i = 0; i < 100 && !t.engine.telephony!.stack.hasTrunk(t.store.sipTrunks.list()[0].id); i++)
        await new Promise((r) => setTimeout(r, 20));

      const ws = new WebSocket(`${t.url.replace("http", "ws")}/api/v1/events?api_key=${t.apiKey}`);
      const digits: string[] = [];
      ws.on("message", (m) => {
        const e = JSON.parse(String(m));
        if (e.type === "call.dtmf") digits.push(e.digit);
      });
      await new Promise((r) => ws.once("open", r));

      const dir = mkdtempSync(join(tmpdir(), "sipp-dtmf-"));
      writeFileSync(join(dir, "uac.xml"), UAC_WITH_DTMF);
      const sip = t.engine.telephony!.sipAddress!;
      const sipp = spawn(
        "sipp",
        [
          "-sf",
          join(dir, "uac.xml"),
          "-s",
          "+15550002222",
          "-i",
          "127.0.0.1",
          "-p",
          String(sippPort),
          "-mp",
          String(mediaPort),
          "-m",
          "1",
          "-nostdin",
          "-timeout",
          "20s",
          `127.0.0.1:${sip.port}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      sipp.stdout.on("data", (d) => {
        out += d;
      });
      sipp.stderr.on("data", (d) => {
        out += d;
      });
      const code = await new Promise<number | null>((r) => sipp.on("exit", (c) => r(c)));
      ws.close();
      expect(code, out).toBe(0);
      expect(digits.join("")).toBe("1234#");
      const call = t.store.calls.list({ limit: 1, offset: 0 }).calls[0];
      expect(
        t.store.calls
          .events(call.id)
          .filter((e) => e.type === "dtmf")
          .map((e) => e.data.digit)
          .join(""),
      ).toBe("1234#");
      expect(call.status).toBe("ended");
    },
  );

  it.skipIf(!hasKamailio || !hasBaresip)(
    "digits we send reach a real softphone (skipped only where kamailio/baresip are not installed)",
    async () => {
      const k: Kamailio = await startKamailio();
      try {
        const work = mkdtempSync(join(tmpdir(), "dtmf-out-"));
        const wav = join(work, "caller.wav");
        toTelephoneWav(join(SHARED, "audio", "en-ljspeech-LJ001-0002.wav"), wav, 0.5, 2.5);
        const assistant = (
          (await (await t.api("/api/v1/assistants", { method: "POST", json: { name: "Sender" } })).json()) as any
        ).assistant.id;
        const trunk = (
          (await (
            await t.api("/api/v1/sip-trunks", {
              method: "POST",
              json: { name: "K", host: "127.0.0.1", port: k.port, username: "alice", password: "secret" },
            })
          ).json()) as any
        ).trunk;
        await t.api("/api/v1/numbers", {
          method: "POST",
          json: { phone_number: "+15550003333", assistant_id: assistant, sip_trunk_id: trunk.id },
        });
        for (let i = 0; i < 200 && t.store.sipTrunks.get(trunk.id)!.registration.status !== "registered"; i++)
          await new Promise((r) => setTimeout(r, 50));
        t.engine.telephony!.onAnswered = (_id, _leg, rtp) => {
          setTimeout(() => rtp.sendDtmf("1234#"), 300);
        };
        const phone = await runBaresip({
          account: `<sip:bob@127.0.0.1:${k.port};transport=udp>;regint=0`,
          wav,
          dial: `sip:alice@127.0.0.1:${k.port}`,
          seconds: 8,
        });
        await phone.exited;
        // baresip prints each RFC 4733 event when it ends: "received event: '1' (end=1)".
        const received = [...phone.output().matchAll(/received event: '(.)' \(end=1\)/g)].map((m) => m[1]).join("");
        expect(received, phone.output()).toBe("1234#");
      } finally {
        await k.stop();
      }
    },
  );
});
