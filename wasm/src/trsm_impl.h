/*
 * Type-generic body of trsm.c, included once per element type with
 *   T (element type), SUF (f32 / f64), VL (lanes per v128), VSPLAT, VSUB, VMUL, VDIV.
 *
 * Left-side triangular solve with multiple right-hand sides, blocked (Golub & Van Loan, Matrix
 * Computations, 4th ed., §3.1 and §3.1.6): B is scaled by alpha once, then for each block of NB rows
 * (top to bottom for a lower op(A), bottom to top for an upper one)
 *   1. the rows already solved are eliminated by one GEMM: B_i ← B_i − op(A)[i, solved]·X[solved];
 *   2. the NB×NB diagonal block is solved by substitution, row by row, each update an axpy along a
 *      contiguous row of B (SIMD), X[i, :] = (B[i, :] − Σ_p op(A)[i][p]·X[p, :]) / op(A)[i][i].
 * Almost all flops run in the GEMM kernel. No singularity check: a zero pivot gives ±Inf/NaN, as in
 * BLAS and the reference.
 */
#define TRSM_NB 64

static void CV_CAT(diag_solve_, SUF)(int lowerOp, int unitDiag, int i0, int ib, int n, const T *a,
                                     int rs, int cs, T *b, int ldb) {
  for (int t = 0; t < ib; t++) {
    const int i = lowerOp ? i0 + t : i0 + ib - 1 - t;
    T *bi = b + i * ldb;
    const int p0 = lowerOp ? i0 : i + 1, p1 = lowerOp ? i : i0 + ib;
    for (int p = p0; p < p1; p++) {
      const T c = a[i * rs + p * cs];
      const T *bp = b + p * ldb;
      const v128_t vc = VSPLAT(c);
      int j = 0;
      for (; j + VL <= n; j += VL)
        wasm_v128_store(bi + j, VSUB(wasm_v128_load(bi + j), VMUL(vc, wasm_v128_load(bp + j))));
      for (; j < n; j++) bi[j] -= c * bp[j];
    }
    if (!unitDiag) {
      const T d = a[i * rs + i * cs];
      const v128_t vd = VSPLAT(d);
      int j = 0;
      for (; j + VL <= n; j += VL) wasm_v128_store(bi + j, VDIV(wasm_v128_load(bi + j), vd));
      for (; j < n; j++) bi[j] /= d;
    }
  }
}

void CV_CAT(cv_trsm_strided_, SUF)(int lowerOp, int unitDiag, int m, int n, T alpha, const T *a,
                                   int rs, int cs, T *b, int ldb) {
  if (m <= 0 || n <= 0) return;
  if (alpha == 0) { /* BLAS convention: B = 0, A not read */
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) b[i * ldb + j] = 0;
    return;
  }
  if (alpha != 1) {
    const v128_t va = VSPLAT(alpha);
    for (int i = 0; i < m; i++) {
      T *bi = b + i * ldb;
      int j = 0;
      for (; j + VL <= n; j += VL) wasm_v128_store(bi + j, VMUL(va, wasm_v128_load(bi + j)));
      for (; j < n; j++) bi[j] = alpha * bi[j];
    }
  }
  if (lowerOp) {
    for (int i0 = 0; i0 < m; i0 += TRSM_NB) {
      const int ib = m - i0 < TRSM_NB ? m - i0 : TRSM_NB;
      /* B[i0:i0+ib, :] -= op(A)[i0:i0+ib, 0:i0] · X[0:i0, :] */
      if (i0 > 0)
        CV_CAT(cv_gemm_strided_, SUF)(ib, n, i0, -1, a + i0 * rs, rs, cs, b, 1, ldb, 1, b + i0 * ldb, ldb, 1);
      CV_CAT(diag_solve_, SUF)(1, unitDiag, i0, ib, n, a, rs, cs, b, ldb);
    }
  } else {
    const int nblk = (m + TRSM_NB - 1) / TRSM_NB;
    for (int blk = nblk - 1; blk >= 0; blk--) {
      const int i0 = blk * TRSM_NB;
      const int ib = m - i0 < TRSM_NB ? m - i0 : TRSM_NB;
      const int r0 = i0 + ib; /* rows r0..m-1 are solved */
      if (r0 < m)
        CV_CAT(cv_gemm_strided_, SUF)(ib, n, m - r0, -1, a + i0 * rs + r0 * cs, rs, cs, b + r0 * ldb, 1, ldb, 1,
                                      b + i0 * ldb, ldb, 1);
      CV_CAT(diag_solve_, SUF)(0, unitDiag, i0, ib, n, a, rs, cs, b, ldb);
    }
  }
}

void CV_CAT(cv_trsm_, SUF)(int upper, int trans, int unitDiag, int m, int n, T alpha, const T *a,
                           int lda, T *b, int ldb) {
  /* op(A)[i][p] = a[i·rs + p·cs]; op(A) is lower triangular iff exactly one of (lower, trans). */
  const int rs = trans ? 1 : lda, cs = trans ? lda : 1;
  const int lowerOp = (!upper) != (!!trans);
  CV_CAT(cv_trsm_strided_, SUF)(lowerOp, unitDiag, m, n, alpha, a, rs, cs, b, ldb);
}

#undef TRSM_NB
