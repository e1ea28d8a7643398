import { ShapeError } from '../../errors.js';
import { im2col } from '../../tensor/ops/conv.js';
import type { Tensor } from '../../tensor/tensor.js';

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

/**
 * im2col: the patches a convolution multiplies, x [n, C, H, W] → [n, Ho·Wo, C·kh·kw], each row in
 * the weight's [C, kh, kw] order, so that conv(x) = patches·W_flatᵀ (Chellapilla et al. 2006).
 * One primitive (src/tensor/ops/conv.ts) with a kernel in every backend; its derivatives are col2im
 * (the adjoint: patches summed back into the image) and im2col itself, so both autodiff modes, the
 * batched tangents and the HVPs built on them go through the two kernels.
 */
export function unfold2d(x: Tensor, g: ConvGeometry): Tensor {
  if (x.rank !== 4) throw new ShapeError(`unfold2d: expected an input [N, C, H, W], got [${x.shape.join(', ')}]`);
  const [, , h, w] = x.shape as [number, number, number, number];
  const [ho, wo] = convOutputSize(g, h, w);
  if (ho < 1 || wo < 1) throw new ShapeError(`conv2d: input [${x.shape.join(', ')}] is smaller than the kernel ${g.kernel.join('×')} (dilation ${g.dilation.join('×')}, padding ${g.padding.join('×')})`);
  return im2col(x, g);
}
