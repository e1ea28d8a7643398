import { tensor } from '../tensor/index.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { unitRoundoff } from './random-vectors.js';

/**
 * An orthonormal basis Q [n, r] of the column span of Y [n, l] (the "range finder" step of
 * randomized linear algebra; Halko, Martinsson & Tropp 2011, Alg. 4.1), by classical Gram–Schmidt
 * with one full reorthogonalisation per column ("twice is enough", Giraud et al. 2005), in float64
 * on the host. A column whose norm falls below `dropTol`·(its original norm) after both passes is
 * numerically in the span of the previous ones and is dropped, so Q may have r < l columns
 * (Y rank-deficient, e.g. A·Ω for an operator of rank < l). With `complete`, dropped columns are
 * replaced by fresh Gaussian vectors orthogonalised the same way, so that r = min(l, n).
 */
export function orthonormalBasis(y: Tensor, options: { dropTol?: number; complete?: Random } = {}): Tensor {
  const [n, l] = y.shape as [number, number];
  const dtype = y.dtype === 'float64' ? 'float64' : 'float32';
  const dropTol = options.dropTol ?? Math.max(l, 16) * unitRoundoff(dtype) * 16;
  const data = y.dataSync();
  const cols: Float64Array[] = [];
  const tryAdd = (c: Float64Array): boolean => {
    const n0 = Math.sqrt(dotArr(c, c));
    if (!(n0 > 0) || !Number.isFinite(n0)) return false;
    for (let pass = 0; pass < 2; pass++) {
      const h = cols.map((q) => dotArr(q, c));
      cols.forEach((q, i) => { const hi = h[i]!; for (let r = 0; r < n; r++) c[r]! -= hi * q[r]!; });
    }
    const n2 = Math.sqrt(dotArr(c, c));
    if (!(n2 > dropTol * n0)) return false;
    for (let r = 0; r < n; r++) c[r]! /= n2;
    cols.push(c);
    return true;
  };
  for (let j = 0; j < l && cols.length < n; j++) {
    const c = new Float64Array(n);
    for (let r = 0; r < n; r++) c[r] = data[r * l + j]!;
    tryAdd(c);
  }
  if (options.complete) {
    const rng = options.complete;
    const target = Math.min(l, n);
    for (let attempt = 0; cols.length < target && attempt < 4 * target; attempt++) {
      tryAdd(Float64Array.from({ length: n }, () => rng.normal()));
    }
  }
  const r = cols.length;
  const out = new Float64Array(n * r);
  cols.forEach((q, j) => { for (let i = 0; i < n; i++) out[i * r + j] = q[i]!; });
  return tensor(out, [n, r], dtype);
}

function dotArr(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
