import * as c from '../src/index.js';
import type { Random } from '../src/tensor/random.js';
import { randn } from './helpers.js';

/**
 * Small operators with known spectra for solver, eigensolver and estimator tests: A = Q·diag(λ)·Qᵀ with a random
 * orthogonal Q (eigenvectors of a random symmetric matrix), float64, symmetrized exactly.
 */
export function withSpectrum(rng: Random, lambdas: readonly number[], dtype: 'float32' | 'float64' = 'float64'): { a: c.Tensor; op: c.LinearOperator; q: c.Tensor } {
  const n = lambdas.length;
  const m = randn(rng, [n, n]);
  const { vectors: q } = c.eigh(c.add(m, c.transpose(m)));
  const a = c.matmul(c.mul(q, c.tensor([...lambdas], [1, n], 'float64')), q, { transB: true });
  const sym = c.mul(c.add(a, c.transpose(a)), 0.5);
  const out = dtype === 'float64' ? sym : c.cast(sym, 'float32');
  return { a: out, op: c.denseOperator(out), q };
}

export const logSpaced = (n: number, lo: number, hi: number): number[] =>
  Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
