import type { FloatArray, Im2colGeometry } from '../types.js';

/** Outputs o in [lo, hi) whose tap t reads a pixel o·s + t·d − p inside [0, size). */
function outRange(t: number, s: number, d: number, p: number, size: number, out: number): [number, number] {
  const a = p - t * d, q = size - 1 + p - t * d;
  const hi = Math.min(out, q < 0 ? 0 : Math.floor(q / s) + 1);
  return [Math.min(a <= 0 ? 0 : Math.ceil(a / s), hi), hi];
}

/**
 * Reference im2col / col2im (Im2colGeometry in ../types.ts), in the loop order of the wasm and
 * native kernels: per image, per patch column (ch, i, j), per output row, over the output columns;
 * col2im adds each pixel's contributions in that (ch, i, j, oh, ow) order (a float32 sum rounds
 * once per addition, as in the C kernels).
 */
export function im2colKernel(src: FloatArray, g: Im2colGeometry, dst: FloatArray, adjoint: boolean): void {
  const { n, c, h, w, kh, kw, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH, outW } = g;
  const plane = h * w, ck = c * kh * kw, block = outH * outW * ck;
  if (adjoint) dst.fill(0, 0, n * c * plane);
  for (let b = 0; b < n; b++) {
    const s0 = adjoint ? b * block : b * c * plane, d0 = adjoint ? b * c * plane : b * block;
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < kh; i++) {
        const [ohlo, ohhi] = outRange(i, sh, dh, ph, h, outH);
        for (let j = 0; j < kw; j++) {
          const [owlo, owhi] = outRange(j, sw, dw, pw, w, outW);
          const col = (ch * kh + i) * kw + j;
          for (let oh = 0; oh < outH; oh++) {
            const at = oh * outW * ck + col;
            if (oh < ohlo || oh >= ohhi) {
              if (!adjoint) for (let ow = 0; ow < outW; ow++) dst[d0 + at + ow * ck] = 0;
              continue;
            }
            const px = ch * plane + (oh * sh + i * dh - ph) * w + j * dw - pw; // pixel of (oh, ow) = px + ow·sw
            if (adjoint) {
              for (let ow = owlo; ow < owhi; ow++) dst[d0 + px + ow * sw]! += src[s0 + at + ow * ck]!;
            } else {
              for (let ow = 0; ow < outW; ow++) dst[d0 + at + ow * ck] = ow >= owlo && ow < owhi ? src[s0 + px + ow * sw]! : 0;
            }
          }
        }
      }
    }
  }
}

/** Reference maxPoolArgmax (Backend.maxPoolArgmax): first largest in row-major window order, NaN wins. */
export function maxPoolArgmaxKernel(x: FloatArray, g: Im2colGeometry, argmax: Int32Array): void {
  const { n, c, h, w, kh, kw, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, outH, outW } = g;
  let at = 0;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, at++) {
        let best = -1, bv = -Infinity;
        for (let i = 0; i < kh; i++) {
          const ih = oh * sh + i * dh - ph;
          if (ih < 0 || ih >= h) continue;
          for (let j = 0; j < kw; j++) {
            const iw = ow * sw + j * dw - pw;
            if (iw < 0 || iw >= w) continue;
            const k = base + ih * w + iw, v = x[k]!;
            if (best < 0 || v > bv || (v !== v && bv === bv)) { best = k; bv = v; }
          }
        }
        argmax[at] = best;
      }
    }
  }
}
