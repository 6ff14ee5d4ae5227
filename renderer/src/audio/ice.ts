/** ICE gathering bound: host candidates on loopback or a LAN take milliseconds. */
const GATHER_MS = 3000;

/**
 * Waits (bounded) until the offer carries every candidate: the engine answers a whole offer in one request
 * (WHIP-style), so no candidates trickle after it.
 */
export function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, GATHER_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}
