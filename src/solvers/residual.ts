import { max, sub, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { norm2Columns } from './vector-ops.js';

/** max over columns of ‖b − A·x‖₂. */
export function residualNorm(apply: (v: Tensor) => Tensor, b: Tensor, x: Tensor): number {
  return tidy(() => max(norm2Columns(sub(b, apply(x)))).item());
}
