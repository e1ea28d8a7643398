/** Triangular solve with multiple right-hand sides (BLAS xTRSM, row-major). */
import { checkDim, checkMatrix, type FloatArray, type Side, type Uplo } from './types.js';

/**
 * Solves op(A)·X = alpha·B (side 'left', A m×m) or X·op(A) = alpha·B (side 'right', A n×n) for X,
 * overwriting the m×n matrix B with X. op(A) = Aᵀ when `trans`, else A. A is triangular: only its
 * `uplo` triangle is referenced, and with `unitDiag` its diagonal is not read either (taken as 1).
 * alpha = 0 sets B to zero without reading A (BLAS convention).
 *
 * No singularity check: a zero diagonal entry yields ±Inf/NaN in X, as in BLAS. Callers needing a
 * diagnosis check the diagonal first (for a Cholesky factor, potrf already guarantees it is > 0).
 *
 * Algorithm: forward/back substitution (Golub & Van Loan, Matrix Computations, 4th ed., §3.1,
 * row- and column-oriented variants; multiple right-hand sides as in §3.1.6). The variant is chosen
 * per case so that the innermost loop runs along a contiguous row; every unknown is accumulated in
 * a double-precision scratch row, so float32 storage is rounded once per result rather than once
 * per update.
 */
export function trsm(
  side: Side,
  uplo: Uplo,
  trans: boolean,
  unitDiag: boolean,
  m: number,
  n: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): void {
  checkDim('trsm', 'm', m);
  checkDim('trsm', 'n', n);
  const k = side === 'left' ? m : n;
  checkMatrix('trsm', 'A', a, aOff, k, k, lda);
  checkMatrix('trsm', 'B', b, bOff, m, n, ldb);
  if (m === 0 || n === 0) return;
  if (alpha === 0) {
    for (let i = 0; i < m; i++) b.fill(0, bOff + i * ldb, bOff + i * ldb + n);
    return;
  }
  // op(A) is lower triangular iff exactly one of (uplo = lower, trans) holds.
  const lowerOp = (uplo === 'lower') !== trans;
  if (side === 'left') solveLeft(lowerOp, trans, unitDiag, m, n, alpha, a, aOff, lda, b, bOff, ldb);
  else solveRight(lowerOp, trans, unitDiag, m, n, alpha, a, aOff, lda, b, bOff, ldb);
}

/**
 * op(A)·X = alpha·B, one row of X at a time (left-looking):
 *   X[i,:] = (alpha·B[i,:] − Σ_p op(A)[i][p]·X[p,:]) / op(A)[i][i],
 * p running over the rows already solved. The inner loop is an axpy over contiguous rows of X;
 * op(A)[i][p] is read with strides (rs, cs), i.e. along a column of A when transposed, which costs
 * O(m²) strided loads against O(m²·n) flops.
 */
function solveLeft(
  lowerOp: boolean,
  trans: boolean,
  unitDiag: boolean,
  m: number,
  n: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): void {
  const rs = trans ? 1 : lda; // op(A)[i][p] = a[aOff + i·rs + p·cs]
  const cs = trans ? lda : 1;
  const acc = new Float64Array(n);
  for (let t = 0; t < m; t++) {
    const i = lowerOp ? t : m - 1 - t; // lower: forward substitution; upper: backward
    const bi = bOff + i * ldb;
    for (let j = 0; j < n; j++) acc[j] = alpha * b[bi + j];
    const pStart = lowerOp ? 0 : i + 1;
    const pEnd = lowerOp ? i : m;
    for (let p = pStart; p < pEnd; p++) {
      const c = a[aOff + i * rs + p * cs];
      const bp = bOff + p * ldb;
      for (let j = 0; j < n; j++) acc[j] -= c * b[bp + j];
    }
    if (unitDiag) {
      for (let j = 0; j < n; j++) b[bi + j] = acc[j];
    } else {
      const dii = a[aOff + i * (lda + 1)];
      for (let j = 0; j < n; j++) b[bi + j] = acc[j] / dii;
    }
  }
}

/**
 * X·op(A) = alpha·B, solved row by row: each row x of X satisfies x·M = alpha·b with M = op(A),
 * i.e. Σ_p x[p]·M[p][j] = alpha·b[j]. Without transpose M's rows are rows of A, so after each x[p]
 * is known it is eliminated from the remaining equations (axpy along row p of A); with transpose
 * M's columns are rows of A, so each x[j] is a dot product along row j of A. Either way the inner
 * loop is contiguous.
 */
function solveRight(
  lowerOp: boolean,
  trans: boolean,
  unitDiag: boolean,
  m: number,
  n: number,
  alpha: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  b: FloatArray,
  bOff: number,
  ldb: number,
): void {
  const acc = new Float64Array(n);
  // M upper triangular: x[j] depends on x[p], p < j → ascending order; M lower → descending.
  const ascending = !lowerOp;
  for (let r = 0; r < m; r++) {
    const br = bOff + r * ldb;
    for (let j = 0; j < n; j++) acc[j] = alpha * b[br + j];
    if (!trans) {
      // M = A: eliminate x[p] from the equations j still unsolved, using row p of A.
      for (let t = 0; t < n; t++) {
        const p = ascending ? t : n - 1 - t;
        const rp = aOff + p * lda;
        const xp = unitDiag ? acc[p] : acc[p] / a[rp + p];
        acc[p] = xp;
        const jStart = ascending ? p + 1 : 0;
        const jEnd = ascending ? n : p;
        for (let j = jStart; j < jEnd; j++) acc[j] -= xp * a[rp + j];
      }
    } else {
      // M = Aᵀ: M[p][j] = A[j][p], so equation j reads row j of A.
      for (let t = 0; t < n; t++) {
        const j = ascending ? t : n - 1 - t;
        const rj = aOff + j * lda;
        const pStart = ascending ? 0 : j + 1;
        const pEnd = ascending ? j : n;
        let s = acc[j];
        for (let p = pStart; p < pEnd; p++) s -= acc[p] * a[rj + p];
        acc[j] = unitDiag ? s : s / a[rj + j];
      }
    }
    for (let j = 0; j < n; j++) b[br + j] = acc[j];
  }
}
