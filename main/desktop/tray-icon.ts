/**
 * The tray icon is drawn, not shipped: a filled dot whose colour is the registration state, as a raw
 * BGRA bitmap for `nativeImage.createFromBitmap`. Drawing it keeps the four states in one place and needs
 * no image files in the package.
 */
import type { TrayStatus } from "./desktop-state.js";

const COLOURS: Record<TrayStatus, [number, number, number]> = {
  registered: [0x2e, 0x9d, 0x4f], // green
  partly: [0xe6, 0xa2, 0x3c], // amber
  failed: [0xd6, 0x45, 0x45], // red
  none: [0x90, 0x93, 0x99], // grey
};

/** A `size`×`size` BGRA bitmap: an anti-aliased disc on transparency. */
export function trayBitmap(status: TrayStatus, size = 32): Buffer {
  const [r, g, b] = COLOURS[status];
  const out = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const radius = size * 0.42;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const alpha = Math.max(0, Math.min(1, radius - d + 0.5));
      const i = (y * size + x) * 4;
      // Premultiplied BGRA, as the platform bitmaps expect.
      out[i] = Math.round(b * alpha);
      out[i + 1] = Math.round(g * alpha);
      out[i + 2] = Math.round(r * alpha);
      out[i + 3] = Math.round(255 * alpha);
    }
  }
  return out;
}
