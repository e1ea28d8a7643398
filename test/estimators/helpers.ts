import * as c from '../../src/index.js';

export { withSpectrum } from '../spectra.js';

/** The diagonal of a square matrix as a Float64Array. */
export function diagOf(a: c.Tensor): Float64Array {
  const n = a.shape[0]!, d = a.dataSync();
  return Float64Array.from({ length: n }, (_, i) => d[i * n + i]!);
}

export const sumOf = (xs: ArrayLike<number>): number => Array.from(xs).reduce((s, x) => s + x, 0);
