import type { FloatArray, Im2colGeometry } from '../types.js';

/**
 * Reference im2col / col2im (Im2colGeometry in ../types.ts): one pass over the patch matrix in its
 * storage order; col2im adds each entry into its pixel in that same order (so a float32 sum rounds
 * once per addition, like the wasm and native kernels).
 */
export function im2colKernel(x: FloatArray, g: Im2colGeometry, out: FloatArray, adjoint: boolean): void {
  const { n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  if (adjoint) out.fill(0, 0, n * c * h * w);
  const cols = adjoint ? x : out, img = adjoint ? out : x;
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let ch = 0; ch < c; ch++) {
          const plane = (b * c + ch) * h * w;
          for (let i = 0; i < kh; i++) {
            const ih = oh * strideH + i * dilationH - padH;
            if (ih < 0 || ih >= h) {
              if (!adjoint) cols.fill(0, at, at + kw);
              at += kw;
              continue;
            }
            const row = plane + ih * w;
            for (let j = 0; j < kw; j++, at++) {
              const iw = ow * strideW + j * dilationW - padW;
              const inside = iw >= 0 && iw < w;
              if (adjoint) { if (inside) img[row + iw]! += cols[at]!; }
              else cols[at] = inside ? img[row + iw]! : 0;
            }
          }
        }
      }
    }
  }
}
