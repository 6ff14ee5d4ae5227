import { randomBytes } from "node:crypto";
import type { Remote } from "./types.js";

const MAGIC = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const MAPPED_ADDRESS = 0x0001;
const XOR_MAPPED_ADDRESS = 0x0020;

/** True for a STUN message (RFC 5389 §6: two zero bits, then the magic cookie): it shares the SIP socket. */
export function isStun(buf: Buffer): boolean {
  return buf.length >= 20 && (buf[0] & 0xc0) === 0 && buf.readUInt32BE(4) === MAGIC;
}

/** A Binding Request with a fresh transaction id. */
export function bindingRequest(): { id: Buffer; packet: Buffer } {
  const id = randomBytes(12);
  const packet = Buffer.alloc(20);
  packet.writeUInt16BE(BINDING_REQUEST, 0);
  packet.writeUInt16BE(0, 2);
  packet.writeUInt32BE(MAGIC, 4);
  id.copy(packet, 8);
  return { id, packet };
}

/** The mapped address of a Binding Success Response to `id`, or null when it is something else. */
export function parseBindingResponse(buf: Buffer, id: Buffer): Remote | null {
  if (!isStun(buf) || buf.readUInt16BE(0) !== BINDING_SUCCESS || !buf.subarray(8, 20).equals(id)) return null;
  const end = Math.min(buf.length, 20 + buf.readUInt16BE(2));
  let plain: Remote | null = null;
  for (let at = 20; at + 4 <= end;) {
    const type = buf.readUInt16BE(at);
    const length = buf.readUInt16BE(at + 2);
    const value = buf.subarray(at + 4, at + 4 + length);
    // Only IPv4 (family 1) here: the SIP socket is IPv4 unless --sip-host is an IPv6 address.
    if (value.length >= 8 && value[1] === 0x01) {
      if (type === XOR_MAPPED_ADDRESS) {
        const port = value.readUInt16BE(2) ^ (MAGIC >>> 16);
        const address = (value.readUInt32BE(4) ^ MAGIC) >>> 0;
        return { host: [24, 16, 8, 0].map((s) => (address >>> s) & 0xff).join("."), port };
      }
      if (type === MAPPED_ADDRESS) plain = { host: [...value.subarray(4, 8)].join("."), port: value.readUInt16BE(2) };
    }
    at += 4 + Math.ceil(length / 4) * 4; // attributes are padded to 4 bytes (§15)
  }
  return plain;
}

/** The socket a binding request goes out on: the SIP socket itself, since the mapping is per source port. */
export interface StunSocket {
  sendRaw(buf: Buffer, to: Remote): void;
  on(event: "stun", fn: (buf: Buffer, from: Remote) => void): unknown;
  off(event: "stun", fn: (buf: Buffer, from: Remote) => void): unknown;
}

/** Asks a STUN server which public address and port it sees us at (retransmitting at 0.5, 1, 2 s; RFC 5389 §7.2.1). */
export async function stunMappedAddress(socket: StunSocket, server: Remote, timeoutMs = 3500): Promise<Remote> {
  const { id, packet } = bindingRequest();
  return await new Promise<Remote>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const done = (fn: () => void) => {
      for (const t of timers) clearTimeout(t);
      socket.off("stun", listener);
      fn();
    };
    const listener = (buf: Buffer) => {
      const mapped = parseBindingResponse(buf, id);
      if (mapped) done(() => resolve(mapped));
    };
    socket.on("stun", listener);
    for (const at of [0, 500, 1500]) timers.push(setTimeout(() => socket.sendRaw(packet, server), at));
    timers.push(
      setTimeout(
        () => done(() => reject(new Error(`STUN server ${server.host}:${server.port} did not answer`))),
        timeoutMs,
      ),
    );
  });
}
