import * as c from '../../src/index.js';

export { withSpectrum, logSpaced } from '../spectra.js';

/** The dense float64 solution of (A + λI)·X = B by the direct solver (Cholesky, or eigh if indefinite). */
export function denseSolve(a: c.Tensor, b: c.Tensor, damping = 0): Float64Array {
  return Float64Array.from(c.direct(c.denseOperator(a), b, { damping }).x.dataSync());
}

/** Column j of a [n, k] tensor as a host array. */
export function column(x: c.Tensor, j: number): Float64Array {
  const n = x.shape[0]!, k = x.shape[1]!;
  const d = x.dataSync();
  return Float64Array.from({ length: n }, (_, i) => d[i * k + j]!);
}

/** An operator that declares itself as base + shift·I (what the curvature operators do with weight decay). */
export function declaredShift(base: c.LinearOperator, shift: number): c.ShiftedOperator {
  return { ...c.shifted(base, shift), shift, base };
}
