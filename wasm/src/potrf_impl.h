/*
 * Type-generic body of potrf.c, included once per element type with T and SUF (f32 / f64).
 *
 * Blocked left-looking Cholesky, A = L·Lᵀ, lower, row-major (Golub & Van Loan, Matrix
 * Computations, 4th ed., §4.2.9, the block "gaxpy" Cholesky). For each block column j0..j0+nb:
 *   1. GEMM: A[j0:n, j0:j0+nb] −= L[j0:n, 0:j0]·L[j0:j0+nb, 0:j0]ᵀ (all the columns to the left at
 *      once; this is where almost all the flops go);
 *   2. the nb×nb diagonal block is factored by the row-oriented recurrence of the reference
 *      (src/backend/js/linalg/potrf.ts), with its sums in double precision, pivots in row order:
 *        L[i][j] = (A[i][j] − Σ L[i][k]·L[j][k]) / L[j][j],   L[i][i] = √(A[i][i] − Σ L[i][k]²);
 *      the first pivot (the value under the square root) that is ≤ 0, NaN or +Inf is reported
 *      with its index, and, for float32, also a positive pivot whose square root rounds to 0;
 *   3. the rows below solve X·L11ᵀ = A21, done as L11·Xᵀ = A21ᵀ on a transposed copy of 128
 *      rows at a time, by the blocked triangular solve (SIMD along the copy's rows).
 * Pivots are reached in increasing order and pivot i depends only on rows ≤ i, so the reported
 * index is the reference's; the reported value agrees with it up to rounding of the sums. Only the
 * lower triangle is read as input; the strict upper triangle is used as scratch by step 1 and
 * zeroed on success (on failure a is partially overwritten, as in the reference).
 */
#ifndef POTRF_NB
#define POTRF_NB 64
#endif
#define POTRF_R 128

static T CV_CAT(panel_, SUF)[POTRF_NB * POTRF_R] __attribute__((aligned(16)));

int CV_CAT(cv_potrf_, SUF)(int n, T *a, int lda, double *value) {
  T *panel = CV_CAT(panel_, SUF);
  for (int j0 = 0; j0 < n; j0 += POTRF_NB) {
    const int nb = n - j0 < POTRF_NB ? n - j0 : POTRF_NB;
    T *blk = a + j0 * lda; /* row j0 */
    if (j0 > 0)
      CV_CAT(cv_gemm_strided_, SUF)(n - j0, nb, j0, -1, blk, lda, 1, blk, lda, 1, 1, blk + j0, lda, 1);
    for (int i = j0; i < j0 + nb; i++) {
      T *ri = a + i * lda;
      for (int j = j0; j <= i; j++) {
        const T *rj = a + j * lda;
        double s = ri[j];
        for (int k = j0; k < j; k++) s -= (double)ri[k] * (double)rj[k];
        if (j < i) {
          ri[j] = (T)(s / (double)rj[j]);
          continue;
        }
        /* !(s > 0) also catches NaN; +Inf can only come from non-finite input. */
        if (!(s > 0) || s == INFINITY) {
          *value = s;
          return i;
        }
        ri[i] = (T)sqrt(s);
        if (!(ri[i] > 0)) { /* float32: a tiny positive pivot whose root rounds to 0 */
          *value = s;
          return i;
        }
      }
    }
    for (int r0 = j0 + nb; r0 < n; r0 += POTRF_R) {
      const int rc = n - r0 < POTRF_R ? n - r0 : POTRF_R;
      for (int r = 0; r < rc; r++) {
        const T *src = a + (r0 + r) * lda + j0;
        for (int c = 0; c < nb; c++) panel[c * POTRF_R + r] = src[c];
      }
      CV_CAT(cv_trsm_strided_, SUF)(1, 0, nb, rc, 1, blk + j0, lda, 1, panel, POTRF_R);
      for (int r = 0; r < rc; r++) {
        T *dst = a + (r0 + r) * lda + j0;
        for (int c = 0; c < nb; c++) dst[c] = panel[c * POTRF_R + r];
      }
    }
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) a[i * lda + j] = 0;
  return -1;
}

#undef POTRF_NB
#undef POTRF_R
