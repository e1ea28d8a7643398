import { DTypeError, ShapeError } from '../../errors.js';
import type { Im2colGeometry } from '../../backend/types.js';
import { kernels } from '../kernels.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { backendOf, fmt } from '../util.js';
import { windowsInside } from '../../backend/im2col.js';
import { gather } from './indexing.js';
import { reshape } from './shape.js';

/**
 * A convolution's patch geometry per spatial axis [height, width] and the image's spatial size.
 * The batch n and the channels C come from the operand's shape, so a batched-tangent rule can fold
 * k directions into n without new parameters.
 */
export interface PatchParams {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** The image's height and width. */
  readonly size: readonly [number, number];
}

/** Output height and width (PyTorch's floor division). */
export function patchOutputSize(p: Omit<PatchParams, 'size'>, h: number, w: number): [number, number] {
  const out = (s: number, a: 0 | 1): number => Math.floor((s + 2 * p.padding[a] - p.dilation[a] * (p.kernel[a] - 1) - 1) / p.stride[a]) + 1;
  return [out(h, 0), out(w, 1)];
}

function geometry(p: PatchParams, n: number, c: number): Im2colGeometry {
  const [h, w] = p.size;
  const [outH, outW] = patchOutputSize(p, h, w);
  return {
    n, c, h, w, kh: p.kernel[0], kw: p.kernel[1], strideH: p.stride[0], strideW: p.stride[1], padH: p.padding[0], padW: p.padding[1],
    dilationH: p.dilation[0], dilationW: p.dilation[1], outH, outW,
  };
}

/** im2col: x [n, C, H, W] → [n, Ho·Wo, C·kh·kw] (the backend's im2col kernel). */
export const im2colPrimitive = definePrimitive<PatchParams>('im2col', ([x], p) => {
  const [n, c] = x!.shape as [number, number];
  const g = geometry(p, n, c);
  const out = empty([n, g.outH * g.outW, c * g.kh * g.kw], x!.dtype, x!.backend);
  kernels(backendOf('im2col', [x!])).im2col(x!.buffer, g, out.buffer);
  return out;
});

/** col2im, im2col's adjoint: cols [n, Ho·Wo, C·kh·kw] → [n, C, H, W], each entry added into its pixel. */
export const col2imPrimitive = definePrimitive<PatchParams>('col2im', ([cols], p) => {
  const n = cols!.shape[0]!, c = cols!.shape[2]! / (p.kernel[0] * p.kernel[1]);
  const g = geometry(p, n, c);
  const out = empty([n, c, g.h, g.w], cols!.dtype, cols!.backend);
  kernels(backendOf('col2im', [cols!])).col2im(cols!.buffer, g, out.buffer);
  return out;
});

function checkParams(fn: string, p: Omit<PatchParams, 'size'>, h: number, w: number): [number, number] {
  const ints = [...p.kernel, ...p.stride, ...p.dilation, ...p.padding];
  if (!ints.every((v) => Number.isInteger(v)) || [...p.kernel, ...p.stride, ...p.dilation].some((v) => v < 1) || p.padding.some((v) => v < 0)) {
    throw new ShapeError(`${fn}: kernel, stride and dilation must be integers ≥ 1 and padding ≥ 0, got ${JSON.stringify(p)}`);
  }
  return patchOutputSize(p, h, w);
}

/** The patches of x [n, C, H, W] as [n, Ho·Wo, C·kh·kw], rows channel-major, zero padding. */
export function im2col(x: Tensor, p: Omit<PatchParams, 'size'>): Tensor {
  if (x.rank !== 4) throw new ShapeError(`im2col: expected an input [N, C, H, W], got ${fmt(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`im2col: needs a float tensor, got ${x.dtype}`);
  const [, , h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = checkParams('im2col', p, h, w);
  if (ho < 1 || wo < 1) throw new ShapeError(`im2col: input ${fmt(x.shape)} is smaller than the kernel ${p.kernel.join('×')} (dilation ${p.dilation.join('×')}, padding ${p.padding.join('×')})`);
  const { kernel, stride, padding, dilation } = p;
  return bind(im2colPrimitive, [x], { kernel, stride, padding, dilation, size: [h, w] });
}

/** col2im: patches [n, Ho·Wo, C·kh·kw] summed back into an image [n, C, H, W] of spatial size `size`. */
export function col2im(cols: Tensor, p: Omit<PatchParams, 'size'>, size: readonly [number, number]): Tensor {
  const [h, w] = size;
  const [ho, wo] = checkParams('col2im', p, h, w);
  const kk = p.kernel[0] * p.kernel[1];
  if (cols.rank !== 3 || cols.shape[1] !== ho * wo || cols.shape[2]! % kk !== 0 || ho < 1 || wo < 1) {
    throw new ShapeError(`col2im: expected patches [N, ${ho * wo}, C·${kk}] for an image ${h}×${w}, got ${fmt(cols.shape)}`);
  }
  if (cols.dtype !== 'float32' && cols.dtype !== 'float64') throw new DTypeError(`col2im: needs a float tensor, got ${cols.dtype}`);
  const { kernel, stride, padding, dilation } = p;
  return bind(col2imPrimitive, [cols], { kernel, stride, padding, dilation, size: [h, w] });
}

/**
 * Max-pooling's window argmax: x [n, C, H, W] → int32 [n, C, Ho, Wo], the flat index into x of
 * each window's first largest value (padding skipped). Piecewise constant: its derivative rule is
 * zero (src/autodiff/rules/conv.ts), so it never carries a tangent.
 */
export const maxPoolArgmaxPrimitive = definePrimitive<PatchParams>('maxPoolArgmax', ([x], p) => {
  const [n, c] = x!.shape as [number, number];
  const g = geometry(p, n, c);
  const out = empty([n, c, g.outH, g.outW], 'int32', x!.backend);
  kernels(backendOf('maxPoolArgmax', [x!])).maxPoolArgmax(x!.buffer, g, out.buffer);
  return out;
});

/** Whether every max-pooling window over an image h×w holds an in-image pixel (maxPool2d's requirement). */
export function poolWindowsInside(p: Omit<PatchParams, 'size'>, h: number, w: number): boolean {
  return windowsInside(geometry({ ...p, size: [h, w] }, 1, 1));
}

/**
 * 2-d max pooling of x [n, C, H, W] → [n, C, Ho, Wo], padding as −∞: the window argmax (one
 * kernel pass, no patch matrix) and a gather of those pixels. Every derivative is the gather's —
 * jvp gathers the tangent at the argmax, vjp scatter-adds the cotangent there, batched tangents and
 * higher orders likewise (the argmax is constant) — so the first largest value of a window takes
 * the whole derivative (PyTorch's choice at ties).
 */
export function maxPool2d(x: Tensor, p: Omit<PatchParams, 'size'>): Tensor {
  if (x.rank !== 4) throw new ShapeError(`maxPool2d: expected an input [N, C, H, W], got ${fmt(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new DTypeError(`maxPool2d: needs a float tensor, got ${x.dtype}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = checkParams('maxPool2d', p, h, w);
  if (ho < 1 || wo < 1 || !poolWindowsInside(p, h, w)) throw new ShapeError(`maxPool2d: input ${fmt(x.shape)} leaves a window of kernel ${p.kernel.join('×')} without pixels`);
  if (x.size >= 2 ** 31) throw new ShapeError(`maxPool2d: ${x.size} elements exceed int32 indices`);
  const { kernel, stride, padding, dilation } = p;
  const idx = bind(maxPoolArgmaxPrimitive, [x], { kernel, stride, padding, dilation, size: [h, w] });
  return reshape(gather(reshape(x, [x.size, 1]), reshape(idx, [n * c * ho * wo])), [n, c, ho, wo]);
}
