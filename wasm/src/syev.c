/*
 * cv_syev_{f32,f64}: eigendecomposition A = V·diag(w)·Vᵀ of the symmetric n×n matrix at a (row
 * stride lda), of which only the lower triangle is read — the driver of
 * src/backend/js/linalg/syev.ts, step for step:
 *  1. the lower triangle is validated (any NaN/±Inf: return -1, nothing written) and copied, in
 *     double, into the upper triangle of z; z is scaled by the power of two nearest to 1/max|a|
 *     (exact);
 *  2. Householder tridiagonalisation (tridiagonalize.c), then implicit QL (tridiagonal_ql.c),
 *     at most 30·n QL steps (else return -2);
 *  3. eigenvalues sorted ascending (ties by original position), rescaled, written to w;
 *  4. with computeVectors, columns of V normalised to unit length, written as the columns of a in
 *     ascending eigenvalue order (rounded to float32 for f32), then each column's sign is chosen so
 *     that its largest-magnitude stored component (the first one on ties) is positive.
 * All work is in double, so float32 input gets double-precision eigenpairs rounded once. Returns 0.
 * Scratch is malloc'ed per call (2n² + O(n) doubles) and freed before returning; if it cannot be
 * allocated the function returns -3 without writing anything (see wasm/README.md).
 */
#include <stdlib.h>

#include "cv_internal.h"
#include "eigen_internal.h"

/* Stable ascending order of d (ties by index) into idx, by merge sort; tmp: n ints of scratch. */
static void argsort(int n, const double *d, int *idx, int *tmp) {
  for (int i = 0; i < n; i++) idx[i] = i;
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      const int mid = lo + width < n ? lo + width : n;
      const int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, o = lo;
      while (i < mid && j < hi) tmp[o++] = d[idx[j]] < d[idx[i]] ? idx[j++] : idx[i++];
      while (i < mid) tmp[o++] = idx[i++];
      while (j < hi) tmp[o++] = idx[j++];
    }
    memcpy(idx, tmp, (size_t)n * sizeof(int));
  }
}

typedef struct {
  double *z, *q, *d, *e, *beta, *p, *cs, *sn, *inv;
  int *order, *tmp;
  void *block;
} syev_work;

static int work_alloc(syev_work *w, int n, int vectors) {
  /* size in 64-bit arithmetic first: size_t is 32-bit here and n² doubles overflow it quickly */
  const uint64_t bytes = ((uint64_t)n * n * (vectors ? 2 : 1) + 7 * (uint64_t)n) * sizeof(double) +
                         2 * (uint64_t)n * sizeof(int) + 16;
  if (bytes > (uint64_t)SIZE_MAX) return 0;
  const size_t nn = (size_t)n * n;
  w->block = malloc((size_t)bytes);
  if (w->block == NULL) return 0;
  double *p = (double *)w->block;
  w->z = p; p += nn;
  w->q = vectors ? p : NULL; p += vectors ? nn : 0;
  w->d = p; p += n;
  w->e = p; p += n;
  w->beta = p; p += n;
  w->p = p; p += n;
  w->cs = p; p += n;
  w->sn = p; p += n;
  w->inv = p; p += n;
  w->order = (int *)p;
  w->tmp = w->order + n;
  return 1;
}

/* In-place transpose of the n×n row-major q. */
static void transpose_square(int n, double *q) {
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double t = q[i * n + j];
      q[i * n + j] = q[j * n + i];
      q[j * n + i] = t;
    }
}

#define DEFINE_SYEV(NAME, T)                                                                       \
  int NAME(int n, T *a, int lda, T *w, int computeVectors) {                                       \
    if (n <= 0) return 0;                                                                          \
    for (int i = 0; i < n; i++)                                                                    \
      for (int j = 0; j <= i; j++)                                                                 \
        if (!isfinite(a[i * lda + j])) return -1;                                                  \
    syev_work W;                                                                                   \
    if (!work_alloc(&W, n, computeVectors)) return -3;                                             \
    double amax = 0;                                                                               \
    for (int i = 0; i < n; i++)                                                                    \
      for (int j = 0; j <= i; j++) {                                                               \
        const double v = a[i * lda + j];                                                           \
        W.z[j * n + i] = v;                                                                        \
        amax = fmax(amax, fabs(v));                                                                \
      }                                                                                            \
    double scale = 1;                                                                              \
    if (amax > 0) {                                                                                \
      const double lg = log2(amax);                                                                \
      double ex = floor(lg);                                                                       \
      if (lg - ex >= 0.5) ex += 1; /* Math.round: halves up */                                     \
      ex = ex < -1022 ? -1022 : ex > 1023 ? 1023 : ex;                                             \
      scale = ldexp(1.0, (int)ex);                                                                 \
      const double inv = ldexp(1.0, -(int)ex);                                                     \
      for (int i = 0; i < n; i++)                                                                  \
        for (int j = i; j < n; j++) W.z[i * n + j] *= inv;                                         \
    }                                                                                              \
    cv_tridiagonalize(n, W.z, W.d, W.e, W.q, W.beta, W.p);                                         \
    if (W.q != NULL) transpose_square(n, W.q); /* QL works on Vᵀ */                                \
    const int ql = cv_tridiagonal_ql(n, W.d, W.e, W.q, 30 * n, W.cs, W.sn);                        \
    if (ql != 0) { /* -2: no convergence, -3: out of memory */                                     \
      free(W.block);                                                                               \
      return ql;                                                                                   \
    }                                                                                              \
    argsort(n, W.d, W.order, W.tmp);                                                               \
    for (int j = 0; j < n; j++) w[j] = (T)(W.d[W.order[j]] * scale);                               \
    if (W.q == NULL) {                                                                             \
      free(W.block);                                                                               \
      return 0;                                                                                    \
    }                                                                                              \
    /* Column c of V is row c of W.q: 1/‖col‖ with the sum over components in ascending order. */ \
    for (int c = 0; c < n; c++) {                                                                  \
      const double *col = W.q + (size_t)c * n;                                                     \
      double s = 0;                                                                                \
      for (int i = 0; i < n; i++) s += col[i] * col[i];                                            \
      W.inv[c] = 1 / sqrt(s);                                                                      \
    }                                                                                              \
    for (int j = 0; j < n; j++) {                                                                  \
      const int c = W.order[j];                                                                    \
      const double *col = W.q + (size_t)c * n;                                                     \
      const double inv = W.inv[c];                                                                 \
      double big = -1;                                                                             \
      int flip = 0;                                                                                \
      for (int i = 0; i < n; i++) {                                                                \
        const T x = (T)(col[i] * inv);                                                             \
        a[i * lda + j] = x;                                                                        \
        if (fabs((double)x) > big) {                                                               \
          big = fabs((double)x);                                                                   \
          flip = x < 0;                                                                            \
        }                                                                                          \
      }                                                                                            \
      if (flip)                                                                                    \
        for (int i = 0; i < n; i++) a[i * lda + j] = -a[i * lda + j];                              \
    }                                                                                              \
    free(W.block);                                                                                 \
    return 0;                                                                                      \
  }

DEFINE_SYEV(cv_syev_f32, float)
DEFINE_SYEV(cv_syev_f64, double)
