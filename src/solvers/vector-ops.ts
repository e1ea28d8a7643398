import { mul, sqrt, sum, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** Euclidean norm of a vector, or of each column of an [n, k] block. */
export function norm2Columns(v: Tensor): Tensor {
  return sqrt(sum(mul(v, v), 0));
}

/** ⟨u, v⟩ as a JS number. */
export function dotValue(u: Tensor, v: Tensor): number {
  return tidy(() => sum(mul(u, v)).item());
}
