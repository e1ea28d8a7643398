/**
 * Argument checks of the im2col / col2im kernels shared by every backend (like ./checks.ts for the
 * others): the geometry's integers and output size, the buffers' dtypes and sizes.
 */
import { DTypeError, ShapeError } from '../errors.js';
import type { BackendBuffer, Im2colGeometry } from './types.js';

/** The geometry as 14 integers [n, c, h, w, kh, kw, sH, sW, pH, pW, dH, dW, outH, outW] (the C kernels' order). */
export function im2colArgs(g: Im2colGeometry): number[] {
  return [g.n, g.c, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.outH, g.outW];
}

/** Elements of the image [n, c, h, w] and of the patch matrix [n, outH·outW, c·kh·kw]. */
export function im2colSizes(g: Im2colGeometry): { image: number; cols: number } {
  return { image: g.n * g.c * g.h * g.w, cols: g.n * g.outH * g.outW * g.c * g.kh * g.kw };
}

/** ShapeError / DTypeError unless `g` is a valid geometry and the buffers fit it. */
export function checkIm2col(fn: 'im2col' | 'col2im', g: Im2colGeometry, src: BackendBuffer, out: BackendBuffer): void {
  const a = im2colArgs(g);
  if (!a.every((v) => Number.isInteger(v) && v >= 0)) throw new ShapeError(`${fn}: geometry must be integers ≥ 0, got ${JSON.stringify(g)}`);
  if (g.kh < 1 || g.kw < 1 || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1) {
    throw new ShapeError(`${fn}: kernel, stride and dilation must be ≥ 1, got ${JSON.stringify(g)}`);
  }
  const oh = Math.floor((g.h + 2 * g.padH - g.dilationH * (g.kh - 1) - 1) / g.strideH) + 1;
  const ow = Math.floor((g.w + 2 * g.padW - g.dilationW * (g.kw - 1) - 1) / g.strideW) + 1;
  if (oh !== g.outH || ow !== g.outW || oh < 1 || ow < 1) {
    throw new ShapeError(`${fn}: output ${g.outH}×${g.outW} does not match the geometry (expected ${oh}×${ow}, ≥ 1)`);
  }
  if (src.dtype !== out.dtype || (src.dtype !== 'float32' && src.dtype !== 'float64')) {
    throw new DTypeError(`${fn}: needs two float32 or two float64 buffers, got ${src.dtype} and ${out.dtype}`);
  }
  const { image, cols } = im2colSizes(g);
  const [need, have] = fn === 'im2col' ? [[image, cols], [src.size, out.size]] : [[cols, image], [src.size, out.size]];
  if (have[0]! < need[0]! || have[1]! < need[1]!) {
    throw new ShapeError(`${fn}: buffers of ${have.join(' and ')} elements, the geometry needs ${need.join(' and ')}`);
  }
}

/** maxPoolArgmax: float x holding the image, int32 argmax holding n·c·outH·outW. */
export function checkMaxPoolArgmax(g: Im2colGeometry, x: BackendBuffer, argmax: BackendBuffer): void {
  if (argmax.dtype !== 'int32') throw new DTypeError(`maxPoolArgmax: argmax must be int32, got ${argmax.dtype}`);
  const fake = { dtype: x.dtype, size: g.n * g.outH * g.outW * g.c * g.kh * g.kw } as BackendBuffer;
  checkIm2col('im2col', g, x, fake);
  if (argmax.size < g.n * g.c * g.outH * g.outW) {
    throw new ShapeError(`maxPoolArgmax: argmax holds ${argmax.size} elements, needs ${g.n * g.c * g.outH * g.outW}`);
  }
}

/** Whether every pooling window of the geometry holds at least one in-image tap (per axis). */
export function windowsInside(g: Im2colGeometry): boolean {
  const axis = (out: number, s: number, d: number, p: number, k: number, size: number): boolean => {
    for (let o = 0; o < out; o++) {
      let any = false;
      for (let t = 0; t < k && !any; t++) { const px = o * s + t * d - p; any = px >= 0 && px < size; }
      if (!any) return false;
    }
    return true;
  };
  return axis(g.outH, g.strideH, g.dilationH, g.padH, g.kh, g.h) && axis(g.outW, g.strideW, g.dilationW, g.padW, g.kw, g.w);
}
