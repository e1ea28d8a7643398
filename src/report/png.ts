import { deflateSync } from 'node:zlib';
import { InputError } from '../errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses), PNG spec (W3C, 2003) Annex D. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit grey-scale PNG (PNG spec, W3C 2003: IHDR colour type 0, filter 0 per row, one zlib
 * IDAT) of a row-major width×height image, each pixel repeated `upscale`×`upscale`. `invert` maps
 * 0 → white (ink on paper, as Fashion-MNIST is usually shown).
 */
export function encodeGrayPng(pixels: ArrayLike<number>, width: number, height: number, options: { upscale?: number; invert?: boolean } = {}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || pixels.length !== width * height) {
    throw new InputError(`png: expected ${width}×${height} = ${width * height} pixels, got ${pixels.length}`);
  }
  const s = options.upscale ?? 1, w = width * s, h = height * s;
  const raw = new Uint8Array(h * (w + 1));
  for (let r = 0; r < h; r++) {
    raw[r * (w + 1)] = 0;
    for (let c = 0; c < w; c++) {
      const v = Math.max(0, Math.min(255, Math.round(pixels[Math.floor(r / s) * width + Math.floor(c / s)]!)));
      raw[r * (w + 1) + 1 + c] = options.invert ? 255 - v : v;
    }
  }
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w); dv.setUint32(4, h);
  ihdr[8] = 8; ihdr[9] = 0; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The PNG as a data: URL, for self-contained HTML. */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
