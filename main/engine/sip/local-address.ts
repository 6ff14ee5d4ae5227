import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

/**
 * The address this machine sends from toward `host`, as the routing table picks it (what `ip route get`
 * prints): connecting a UDP socket sends nothing, it only asks the kernel for a route. Rejects with the
 * system's error (ENETUNREACH: no route) when there is none.
 */
export async function localAddressToward(host: string, port: number): Promise<string> {
  const socket = createSocket(isIPv6(host) ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** An address no peer can send to: never to be written in Via, Contact or SDP. */
export function isUnspecified(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}
