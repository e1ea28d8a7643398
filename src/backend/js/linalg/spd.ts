/** Helpers for symmetric positive definite matrices built on the Cholesky factor from potrf. */
import { potrf } from './potrf.js';
import { trsm } from './trsm.js';
import { checkDim, checkMatrix, type FloatArray, type PotrfResult } from './types.js';

/**
 * Solves (L·Lᵀ)·X = B in place in the n×nrhs matrix B, L being the lower Cholesky factor from
 * potrf (only its lower triangle is read): L·Y = B by forward substitution, then Lᵀ·X = Y by back
 * substitution (Golub & Van Loan, 4th ed., §4.2).
 */
export function cholSolve(
  n: number,
  nrhs: number,
  l: FloatArray,
  lOff: number,
  ldl: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): void {
  trsm('left', 'lower', false, false, n, nrhs, 1, l, lOff, ldl, b, bOff, ldb);
  trsm('left', 'lower', true, false, n, nrhs, 1, l, lOff, ldl, b, bOff, ldb);
}

/**
 * log det(A) = 2·Σ log L[i][i] for A = L·Lᵀ, from the factor returned by potrf. Summing logs
 * instead of taking the log of a product avoids overflow/underflow of the determinant.
 */
export function cholLogdet(n: number, l: FloatArray, lOff: number, ldl: number): number {
  checkDim('cholLogdet', 'n', n);
  checkMatrix('cholLogdet', 'L', l, lOff, n, n, ldl);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[lOff + i * (ldl + 1)]);
  return 2 * s;
}

/**
 * In-place inverse of a symmetric positive definite matrix: reads the lower triangle of A, writes
 * the full symmetric A⁻¹ (both triangles). Steps (as LAPACK xPOTRF + xPOTRI): A = L·Lᵀ by potrf;
 * X = L⁻¹ by row-oriented forward substitution, X[i][:] = −(Σ_{k<i} L[i][k]·X[k][:]) / L[i][i]
 * off the diagonal and 1/L[i][i] on it; then A⁻¹ = Xᵀ·X as a sum of outer products of the rows
 * of X. Returns potrf's result; on failure A is partially overwritten, as with potrf.
 */
export function inverseSpd(n: number, a: FloatArray, aOff: number, lda: number): PotrfResult {
  const res = potrf(n, a, aOff, lda);
  if (!res.ok || n === 0) return res;

  // X = L⁻¹, row by row in place. Row i of X needs L[i][0..i) and rows k < i of X, which are
  // already final, so row i is accumulated in scratch and written once its L entries are consumed.
  const acc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = aOff + i * lda;
    acc.fill(0, 0, i);
    for (let k = 0; k < i; k++) {
      const lik = a[ri + k];
      const rk = aOff + k * lda;
      for (let j = 0; j <= k; j++) acc[j] += lik * a[rk + j];
    }
    const inv = 1 / a[ri + i];
    for (let j = 0; j < i; j++) a[ri + j] = -acc[j] * inv;
    a[ri + i] = inv;
  }

  // A⁻¹ = Xᵀ·X = Σ_k x_k·x_kᵀ (x_k = row k of X, nonzero in columns ≤ k); lower triangle in a
  // double-precision scratch, then mirrored.
  const r = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = aOff + k * lda;
    for (let i = 0; i <= k; i++) {
      const xki = a[rk + i];
      const ri = i * n;
      for (let j = 0; j <= i; j++) r[ri + j] += xki * a[rk + j];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = r[i * n + j];
      a[aOff + i * lda + j] = v;
      a[aOff + j * lda + i] = v;
    }
  }
  return res;
}
