/**
 * A codec as the RTP layer sees it: encode/decode into buffers the caller owns (no allocation per frame).
 * Our side of every codec is 8 kHz mono PCM in 20 ms frames (the engine's audio end to end); `clockRateHz`
 * is the RTP clock on the wire, which for Opus (48 kHz, RFC 7587) is not the PCM rate.
 */
export interface Codec {
  pt: number;
  name: "PCMU" | "PCMA" | "OPUS";
  clockRateHz: number;
  /** As the SDP names it: Opus is always "opus/48000/2", whatever it carries. */
  channels: 1 | 2;
  /** The largest payload `encode` writes for one 20 ms frame. */
  maxPayloadBytes: number;
  /** 8 kHz PCM in, payload out; returns its length (0: nothing to send). */
  encode(src: Int16Array, dst: Uint8Array): number;
  /** Payload in, 8 kHz PCM out; returns the sample count. */
  decode(src: Uint8Array, dst: Int16Array): number;
  /**
   * A lost packet's place, from the decoder's own state (Opus packet loss concealment); returns the sample
   * count. Without it the receiver fades out the last frame.
   */
  conceal?(dst: Int16Array): number;
}

/** G.711: stateless, one object shared by every leg, the only codecs on SIP legs. */
export interface G711Codec extends Codec {
  name: "PCMU" | "PCMA";
  clockRateHz: 8000;
  channels: 1;
}
