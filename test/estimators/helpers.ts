import * as c from '../../src/index.js';
import type { Random } from '../../src/tensor/random.js';
import { randn } from '../helpers.js';

/** A = Q·diag(λ)·Qᵀ with a random orthogonal Q (eigenvectors of a random symmetric matrix), float64. */
export function withSpectrum(rng: Random, lambdas: number[]): { a: c.Tensor; op: c.LinearOperator; q: c.Tensor } {
  const n = lambdas.length;
  const m = randn(rng, [n, n]);
  const { vectors: q } = c.eigh(c.add(m, c.transpose(m)));
  const a = c.matmul(c.mul(q, c.tensor(lambdas, [1, n], 'float64')), q, { transB: true });
  const sym = c.mul(c.add(a, c.transpose(a)), 0.5);
  return { a: sym, op: c.denseOperator(sym), q };
}

/** The diagonal of a square matrix as a Float64Array. */
export function diagOf(a: c.Tensor): Float64Array {
  const n = a.shape[0]!, d = a.dataSync();
  return Float64Array.from({ length: n }, (_, i) => d[i * n + i]!);
}

export const sumOf = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, x) => s + x, 0);
