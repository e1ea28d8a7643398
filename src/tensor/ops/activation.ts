import { ShapeError } from '../../errors.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { backendOf, fmt, requireFloat, sameDType } from '../util.js';
import { mul, square, sub } from './elementwise.js';
import { kernels } from '../kernels.js';

/**
 * tanhGrad(y, g) = g ⊙ (1 − y²): the derivative of tanh expressed through its output y = tanh(x),
 * applied to a tangent or cotangent g — one fused pass (Backend.tanhGrad) where the chain
 * square/subtract/multiply would take three, in every tanh layer's forward tangent and backward
 * pass. Differentiable in both arguments (rules in src/autodiff/rules/activation.ts).
 */
export const tanhGradPrimitive = definePrimitive<null>('tanhGrad', ([y, g]) => {
  const backend = backendOf('tanhGrad', [y!, g!]);
  if (!kernels(backend).native('tanhGrad', [y!.dtype, g!.dtype, y!.dtype])) return mul(g!, sub(1, square(y!)));
  const out = empty(y!.shape, y!.dtype, backend);
  backend.tanhGrad!(y!.buffer, g!.buffer, out.buffer, y!.size);
  return out;
});

export function tanhGrad(y: Tensor, g: Tensor): Tensor {
  requireFloat('tanhGrad', y);
  sameDType('tanhGrad', y, g);
  if (y.shape.length !== g.shape.length || y.shape.some((d, i) => d !== g.shape[i])) {
    throw new ShapeError(`tanhGrad: y ${fmt(y.shape)} and g ${fmt(g.shape)} must have the same shape`);
  }
  return bind(tanhGradPrimitive, [y, g], null);
}
