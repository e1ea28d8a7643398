/** Cholesky factorisation A = L·Lᵀ in place (LAPACK xPOTRF, lower, row-major). */
import { POTRF_OK, checkDim, checkMatrix, type FloatArray, type PotrfResult } from './types.js';

/** Rows factored together: each row j of L read from memory then serves ROWS dot products. */
const ROWS = 4;

/**
 * In-place lower Cholesky factorisation A = L·Lᵀ of a symmetric positive definite n×n matrix
 * stored row-major at a[aOff + i·lda + j].
 *
 * Reads only the lower triangle (diagonal included); on success overwrites it with L and sets the
 * strict upper triangle to zero. Never throws on a matrix that is not positive definite: it stops
 * at the first pivot (the value whose square root would become L[i][i]) that is ≤ 0 or not finite
 * and returns `{ ok: false, pivot: i, value }`; `a` is then partially overwritten and must not be
 * used. NaN or ±Inf anywhere in the lower triangle reaches a pivot at or before its row, so it is
 * reported the same way. Throws ShapeError only for inconsistent dimensions.
 *
 * Algorithm: the row-oriented (Cholesky–Crout / Banachiewicz) ordering of the Cholesky recurrence
 * of Golub & Van Loan, Matrix Computations, 4th ed., §4.2 (Alg. 4.2.1):
 *   L[i][j] = (A[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j],   L[i][i] = √(A[i][i] − Σ_{k<i} L[i][k]²).
 * Both operands of every inner product are contiguous row segments, which suits row-major storage.
 * Rows are processed ROWS at a time so that each row of L streamed from cache feeds ROWS
 * accumulators (register blocking); sums are accumulated in double precision for float32 storage too.
 */
export function potrf(n: number, a: FloatArray, aOff: number, lda: number): PotrfResult {
  checkDim('potrf', 'n', n);
  checkMatrix('potrf', 'A', a, aOff, n, n, lda);

  for (let i0 = 0; i0 < n; i0 += ROWS) {
    const nb = Math.min(ROWS, n - i0);
    // 1. The rectangular part: columns j < i0 of rows i0..i0+nb-1 (their rows j are already factored).
    if (nb === ROWS) {
      const r0 = aOff + i0 * lda;
      const r1 = r0 + lda;
      const r2 = r1 + lda;
      const r3 = r2 + lda;
      for (let j = 0; j < i0; j++) {
        const rj = aOff + j * lda;
        let s0 = a[r0 + j];
        let s1 = a[r1 + j];
        let s2 = a[r2 + j];
        let s3 = a[r3 + j];
        for (let k = 0; k < j; k++) {
          const ljk = a[rj + k];
          s0 -= a[r0 + k] * ljk;
          s1 -= a[r1 + k] * ljk;
          s2 -= a[r2 + k] * ljk;
          s3 -= a[r3 + k] * ljk;
        }
        const ljj = a[rj + j];
        a[r0 + j] = s0 / ljj;
        a[r1 + j] = s1 / ljj;
        a[r2 + j] = s2 / ljj;
        a[r3 + j] = s3 / ljj;
      }
    } else {
      for (let i = i0; i < i0 + nb; i++) {
        const ri = aOff + i * lda;
        for (let j = 0; j < i0; j++) {
          const rj = aOff + j * lda;
          let s = a[ri + j];
          for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
          a[ri + j] = s / a[rj + j];
        }
      }
    }
    // 2. The small triangle inside the block, in row order so the first failing pivot is the one reported.
    for (let i = i0; i < i0 + nb; i++) {
      const ri = aOff + i * lda;
      for (let j = i0; j <= i; j++) {
        const rj = aOff + j * lda;
        let s = a[ri + j];
        for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
        if (j < i) {
          a[ri + j] = s / a[rj + j];
          continue;
        }
        // `!(s > 0)` also catches NaN; Infinity can only come from non-finite input.
        if (!(s > 0) || s === Infinity) return { ok: false, pivot: i, value: s };
        a[ri + i] = Math.sqrt(s);
        // A positive double pivot can still round to 0 in float32 storage; dividing by it later
        // would produce Inf/NaN in L instead of a report.
        if (!(a[ri + i] > 0)) return { ok: false, pivot: i, value: s };
      }
    }
  }

  for (let i = 0; i < n; i++) {
    const ri = aOff + i * lda;
    a.fill(0, ri + i + 1, ri + n);
  }
  return POTRF_OK;
}
