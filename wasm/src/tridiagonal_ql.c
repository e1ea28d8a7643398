/*
 * Implicit QL iteration with Wilkinson shifts for a symmetric tridiagonal matrix (Golub & Van Loan,
 * Matrix Computations, 4th ed., §8.3.5, in the QL form of Bowdler, Martin, Reinsch & Wilkinson,
 * Numer. Math. 11 (1968), tql2). The same deflation test, shift, rotation formulas and order of
 * operations as src/backend/js/linalg/tridiagonalQl.ts — including Math.hypot as V8 evaluates
 * it — so the results are bit-identical to the reference.
 *
 * The rotations of one QL step are recorded, then applied to the eigenvector matrix V. The
 * reference sweeps each row of V carrying the entry shared by consecutive rotations; here V is
 * stored transposed, so the same sweep runs for two rows of V per f64x2 lane pair (eight rows per
 * pass, four independent chains), each element seeing exactly the reference's operations.
 *
 * The rotations touch only d and e, so their application to V is deferred: the rotations of up to
 * STEPS_PER_FLUSH consecutive QL steps are kept, then applied step after step to one strip of
 * eight rows of V at a time, while the strip is in cache — V streams through memory once per
 * batch of steps instead of once per step (the application is memory-bound: a step touches the
 * whole active block). Each element still sees the same operations in the same order, so the
 * result is bit-identical to applying every step at once.
 */
#include <stdlib.h>
#include "cv_internal.h"
#include "eigen_internal.h"

#define STEPS_PER_FLUSH 128

#define U_ROUNDOFF 0x1p-53  /* unit roundoff of float64 */
#define SAFMIN 0x1p-1022    /* smallest normal float64 */

double cv_js_hypot(double x, double y) {
  /* V8's Math.hypot: max of the magnitudes, Kahan-compensated sum of squares of the ratios. */
  const double ax = fabs(x), ay = fabs(y);
  if (ax == INFINITY || ay == INFINITY) return INFINITY;
  if (ax != ax || ay != ay) return NAN;
  const double max = ax >= ay ? ax : ay;
  if (max == 0) return 0;
  double sum = 0, comp = 0;
  const double vals[2] = {ax, ay};
  for (int i = 0; i < 2; i++) {
    const double r = vals[i] / max;
    const double summand = r * r - comp;
    const double prelim = sum + summand;
    comp = (prelim - sum) - summand;
    sum = prelim;
  }
  return sqrt(sum) * max;
}

/* Rotations of the QL steps not yet applied to vt: step j rotates rows lo[j]..hi[j] with cs/sn + j·n. */
typedef struct {
  int count;
  int lo[STEPS_PER_FLUSH], hi[STEPS_PER_FLUSH];
  double *cs, *sn;
} pending_rotations;

/* Columns [k0, k1) of vt ← rotations G_{m-1}, …, G_l applied as in applyRotations (tridiagonalQl.ts), V = vtᵀ. */
static void apply_rotations(int n, double *vt, int l, int m, const double *cs, const double *sn, int k0, int k1) {
  int k = k0;
  for (; k + 8 <= k1; k += 8) {
    v128_t c0 = wasm_v128_load(vt + m * n + k), c1 = wasm_v128_load(vt + m * n + k + 2);
    v128_t c2 = wasm_v128_load(vt + m * n + k + 4), c3 = wasm_v128_load(vt + m * n + k + 6);
    for (int i = m - 1; i >= l; i--) {
      const v128_t c = wasm_f64x2_splat(cs[i]), s = wasm_f64x2_splat(sn[i]);
      double *xi = vt + i * n + k, *xi1 = xi + n;
      const v128_t x0 = wasm_v128_load(xi), x1 = wasm_v128_load(xi + 2);
      const v128_t x2 = wasm_v128_load(xi + 4), x3 = wasm_v128_load(xi + 6);
      wasm_v128_store(xi1, wasm_f64x2_add(wasm_f64x2_mul(s, x0), wasm_f64x2_mul(c, c0)));
      wasm_v128_store(xi1 + 2, wasm_f64x2_add(wasm_f64x2_mul(s, x1), wasm_f64x2_mul(c, c1)));
      wasm_v128_store(xi1 + 4, wasm_f64x2_add(wasm_f64x2_mul(s, x2), wasm_f64x2_mul(c, c2)));
      wasm_v128_store(xi1 + 6, wasm_f64x2_add(wasm_f64x2_mul(s, x3), wasm_f64x2_mul(c, c3)));
      c0 = wasm_f64x2_sub(wasm_f64x2_mul(c, x0), wasm_f64x2_mul(s, c0));
      c1 = wasm_f64x2_sub(wasm_f64x2_mul(c, x1), wasm_f64x2_mul(s, c1));
      c2 = wasm_f64x2_sub(wasm_f64x2_mul(c, x2), wasm_f64x2_mul(s, c2));
      c3 = wasm_f64x2_sub(wasm_f64x2_mul(c, x3), wasm_f64x2_mul(s, c3));
    }
    wasm_v128_store(vt + l * n + k, c0);
    wasm_v128_store(vt + l * n + k + 2, c1);
    wasm_v128_store(vt + l * n + k + 4, c2);
    wasm_v128_store(vt + l * n + k + 6, c3);
  }
  for (; k < k1; k++) {
    double carry = vt[m * n + k];
    for (int i = m - 1; i >= l; i--) {
      const double x = vt[i * n + k];
      vt[(i + 1) * n + k] = sn[i] * x + cs[i] * carry;
      carry = cs[i] * x - sn[i] * carry;
    }
    vt[l * n + k] = carry;
  }
}

/* Applies every pending step, in order, to one 8-column strip of vt after another (then the tail). */
static void flush(int n, double *vt, pending_rotations *p) {
  const int strips = n - n % 8;
  for (int k = 0; k < strips; k += 8)
    for (int j = 0; j < p->count; j++)
      apply_rotations(n, vt, p->lo[j], p->hi[j], p->cs + (size_t)j * n, p->sn + (size_t)j * n, k, k + 8);
  if (strips < n)
    for (int j = 0; j < p->count; j++)
      apply_rotations(n, vt, p->lo[j], p->hi[j], p->cs + (size_t)j * n, p->sn + (size_t)j * n, strips, n);
  p->count = 0;
}

int cv_tridiagonal_ql(int n, double *d, double *e, double *vt, int maxIter, double *cs, double *sn) {
  int iter = 0;
  pending_rotations pending = {0};
  if (vt != NULL) {
    pending.cs = (double *)malloc(sizeof(double) * (size_t)n * STEPS_PER_FLUSH * 2);
    if (pending.cs == NULL) return -3;
    pending.sn = pending.cs + (size_t)n * STEPS_PER_FLUSH;
  }
  for (int l = 0; l < n; l++) {
    for (;;) {
      int m = l;
      while (m < n - 1) {
        if (fabs(e[m]) <= U_ROUNDOFF * (fabs(d[m]) + fabs(d[m + 1])) + SAFMIN) {
          e[m] = 0;
          break;
        }
        m++;
      }
      if (m == l) break; /* d[l] has converged */
      if (++iter > maxIter) {
        free(pending.cs);
        return -2;
      }

      /* Wilkinson shift d_l − e_l²/(δ + sign(δ)·√(δ² + e_l²)) */
      const double el = e[l];
      const double delta = (d[l + 1] - d[l]) / 2;
      const double h = cv_js_hypot(delta, el);
      const double mu = d[l] - el * (el / (delta + (delta >= 0 ? h : -h)));

      double bulge = 0;
      for (int i = m - 1; i >= l; i--) {
        double x, y;
        if (i == m - 1) {
          x = e[i];
          y = d[m] - mu;
        } else {
          x = bulge;
          y = e[i + 1];
        }
        const double r = cv_js_hypot(x, y);
        double c = 1, s = 0;
        if (r != 0) {
          c = y / r;
          s = x / r;
        }
        if (i < m - 1) e[i + 1] = r;
        const double a = d[i], b = e[i], g = d[i + 1];
        const double cc = c * c, ss = s * s;
        const double cs2 = 2 * c * s * b;
        d[i] = cc * a - cs2 + ss * g;
        d[i + 1] = ss * a + cs2 + cc * g;
        e[i] = c * s * (a - g) + (cc - ss) * b;
        if (i > l) {
          const double f = e[i - 1];
          e[i - 1] = c * f;
          bulge = s * f;
        }
        cs[i] = c;
        sn[i] = s;
      }
      if (vt != NULL) {
        const int j = pending.count++;
        pending.lo[j] = l;
        pending.hi[j] = m;
        memcpy(pending.cs + (size_t)j * n + l, cs + l, sizeof(double) * (size_t)(m - l));
        memcpy(pending.sn + (size_t)j * n + l, sn + l, sizeof(double) * (size_t)(m - l));
        if (pending.count == STEPS_PER_FLUSH) flush(n, vt, &pending);
      }
    }
  }
  if (vt != NULL) {
    flush(n, vt, &pending);
    free(pending.cs);
  }
  return 0;
}
