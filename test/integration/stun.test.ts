import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { UdpSipEndpoint } from "../../main/engine/sip/udp-endpoint.js";
import { stunMappedAddress } from "../../main/engine/sip/stun.js";
import { freeUdpPort } from "../support/ports.js";

const hasCoturn = existsSync("/usr/bin/turnserver");

describe.skipIf(!hasCoturn)(
  "STUN binding requests from the SIP socket, answered by coturn (skipped only where the coturn package is not installed)",
  () => {
    let server: ChildProcess;
    let port: number;
    const sip = new UdpSipEndpoint({ host: "127.0.0.1", port: 0 });
    beforeAll(async () => {
      port = await freeUdpPort(false);
      server = spawn(
        "turnserver",
        [
          "--stun-only",
          "--listening-ip",
          "127.0.0.1",
          "--listening-port",
          String(port),
          "--no-cli",
          "--no-tls",
          "--no-dtls",
          "--log-file",
          "stdout",
          "--simple-log",
        ],
        { stdio: "ignore" },
      );
      await sip.start();
      await new Promise((r) => setTimeout(r, 500));
    });
    afterAll(async () => {
      server?.kill();
      await sip.close();
    });

    it("learns the address and port the server sees, and SIP on the same socket is not disturbed", async () => {
      const mapped = await stunMappedAddress(sip, { host: "127.0.0.1", port });
      expect(mapped).toEqual({ host: "127.0.0.1", port: sip.address().port });
      expect(sip.stats.malformed).toBe(0);
    });

    it("a server that does not answer is reported by name", async () => {
      const silent = await freeUdpPort(false);
      await expect(stunMappedAddress(sip, { host: "127.0.0.1", port: silent }, 800)).rejects.toThrow(
        `STUN server 127.0.0.1:${silent} did not answer`,
      );
    });
  },
);
