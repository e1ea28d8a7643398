import { ShapeError } from '../errors.js';
import { gather, pad, reshape, tensor, toBackend, transpose } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** A 2-d convolution's geometry (PyTorch's Conv2d arguments), per spatial axis [height, width]. */
export interface ConvGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** Output height and width for an input of spatial size [h, w] (floor division, as PyTorch). */
export function convOutputSize(g: ConvGeometry, h: number, w: number): [number, number] {
  const out = (size: number, a: 0 | 1): number => Math.floor((size + 2 * g.padding[a] - g.dilation[a] * (g.kernel[a] - 1) - 1) / g.stride[a]) + 1;
  return [out(h, 0), out(w, 1)];
}

/** Indices of the padded pixels (row-major over [Hp, Wp]) each output position reads, [Ho·Wo·kh·kw]. */
function patchIndices(g: ConvGeometry, hp: number, wp: number, ho: number, wo: number): Int32Array {
  const [kh, kw] = g.kernel;
  const idx = new Int32Array(ho * wo * kh * kw);
  let at = 0;
  for (let oh = 0; oh < ho; oh++) {
    for (let ow = 0; ow < wo; ow++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) idx[at++] = (oh * g.stride[0] + i * g.dilation[0]) * wp + ow * g.stride[1] + j * g.dilation[1];
      }
    }
  }
  return idx;
}

/**
 * im2col: the patches a convolution multiplies, x [n, C, H, W] → [n, Ho·Wo, C·kh·kw], each row in
 * the weight's [C, kh, kw] order, so that conv(x) = patches·W_flatᵀ (Chellapilla et al. 2006).
 * Built from differentiable ops — pad, transpose and one gather of rows — so both autodiff modes
 * (and the HVPs built on them) go through it; the gather's index depends only on the geometry.
 */
export function unfold2d(x: Tensor, g: ConvGeometry): Tensor {
  if (x.rank !== 4) throw new ShapeError(`unfold2d: expected an input [N, C, H, W], got [${x.shape.join(', ')}]`);
  const [n, ch, h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = convOutputSize(g, h, w);
  if (ho < 1 || wo < 1) throw new ShapeError(`conv2d: input [${x.shape.join(', ')}] is smaller than the kernel ${g.kernel.join('×')} (dilation ${g.dilation.join('×')}, padding ${g.padding.join('×')})`);
  const [ph, pw] = g.padding;
  const xp = ph || pw ? pad(x, [0, 0, ph, pw], [0, 0, ph, pw]) : x;
  const hp = h + 2 * ph, wp = w + 2 * pw;
  const [kh, kw] = g.kernel;
  const pixels = reshape(transpose(xp, [2, 3, 0, 1]), [hp * wp, n * ch]);
  const idx = patchIndices(g, hp, wp, ho, wo);
  // The index lives where x does (the default backend may be another one).
  const index = tensor(idx, [idx.length], 'int32');
  const cols = gather(pixels, index.backend === x.backend ? index : toBackend(index, x.backend.name));   // [Ho·Wo·kh·kw, n·C]
  return reshape(transpose(reshape(cols, [ho * wo, kh * kw, n, ch]), [2, 0, 3, 1]), [n, ho * wo, ch * kh * kw]);
}
