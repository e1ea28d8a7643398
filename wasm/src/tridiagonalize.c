/*
 * Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (Golub & Van Loan,
 * Matrix Computations, 4th ed., §8.3.1; backward accumulation of Q, §5.1.6). Same steps, storage
 * and order of floating-point operations as src/backend/js/linalg/tridiagonalize.ts:
 *
 * step k: x = A[k+1:, k] (row k right of the diagonal in the upper-triangle storage) is scaled by
 * its largest magnitude, v = x + sign(x₀)·‖x‖·e₁, β = 1/(‖x‖(‖x‖ + |x₀|)), p = β·B·v from the upper
 * triangle of the trailing block B, w = p − (β·pᵀv/2)·v, B ← B − v·wᵀ − w·vᵀ.
 *
 * Vectorised without changing any element's operation sequence: the updates p[j] += B[i][j]·v[i],
 * the rank-2 update and both loops of the Q accumulation run on f64x2 lanes along rows; the dot
 * products t_i = Σ_j B[i][j]·v[j] keep their sequential order, two rows at a time. Q is accumulated
 * strip by strip of eight columns (columns never mix), each strip through every step while cached.
 */
#include "cv_internal.h"
#include "eigen_internal.h"

/* p = β·B·v over rows/columns k+1..n-1 (before scaling by β): see the header comment. */
static void symv_upper(int n, int k, const double *z, double *p) {
  const double *v = z + k * n;
  for (int j = k + 1; j < n; j++) p[j] = 0;
  int i = k + 1;
  for (; i + 1 < n; i += 2) {
    const double *r0 = z + i * n, *r1 = r0 + n;
    const double v0 = v[i], v1 = v[i + 1];
    double t0 = r0[i] * v0;
    /* j = i + 1 belongs to row i only */
    t0 += r0[i + 1] * v1;
    p[i + 1] += r0[i + 1] * v0;
    double t1 = r1[i + 1] * v1;
    const v128_t vv0 = wasm_f64x2_splat(v0), vv1 = wasm_f64x2_splat(v1);
    int j = i + 2;
    for (; j + 2 <= n; j += 2) {
      const v128_t b0 = wasm_v128_load(r0 + j), b1 = wasm_v128_load(r1 + j);
      const v128_t vj = wasm_v128_load(v + j);
      const v128_t q0 = wasm_f64x2_mul(b0, vj), q1 = wasm_f64x2_mul(b1, vj);
      t0 += wasm_f64x2_extract_lane(q0, 0);
      t1 += wasm_f64x2_extract_lane(q1, 0);
      t0 += wasm_f64x2_extract_lane(q0, 1);
      t1 += wasm_f64x2_extract_lane(q1, 1);
      v128_t pj = wasm_v128_load(p + j);
      pj = wasm_f64x2_add(pj, wasm_f64x2_mul(b0, vv0));
      pj = wasm_f64x2_add(pj, wasm_f64x2_mul(b1, vv1));
      wasm_v128_store(p + j, pj);
    }
    for (; j < n; j++) {
      const double b0 = r0[j], b1 = r1[j];
      t0 += b0 * v[j];
      t1 += b1 * v[j];
      p[j] += b0 * v0;
      p[j] += b1 * v1;
    }
    p[i] += t0;
    p[i + 1] += t1;
  }
  for (; i < n; i++) { /* the last row alone: only its diagonal term */
    const double *r0 = z + i * n;
    const double v0 = v[i];
    double t0 = r0[i] * v0;
    for (int j = i + 1; j < n; j++) {
      t0 += r0[j] * v[j];
      p[j] += r0[j] * v0;
    }
    p[i] += t0;
  }
}

/*
 * One step of the backward accumulation of Q on columns [js, j1): p = vᵀ·Q (rows k+1…n−1, in row
 * order), then Q ← Q − β·v·pᵀ — for each element the operations of the whole-matrix loops.
 */
static void accumulate_strip(int n, int k, const double *vk, double b, double *q, int js, int j1) {
  if (j1 - js == 8) {
    v128_t p0 = wasm_f64x2_splat(0), p1 = p0, p2 = p0, p3 = p0;
    for (int i = k + 1; i < n; i++) {
      const double *ri = q + i * n + js;
      const v128_t vi = wasm_f64x2_splat(vk[i]);
      p0 = wasm_f64x2_add(p0, wasm_f64x2_mul(vi, wasm_v128_load(ri)));
      p1 = wasm_f64x2_add(p1, wasm_f64x2_mul(vi, wasm_v128_load(ri + 2)));
      p2 = wasm_f64x2_add(p2, wasm_f64x2_mul(vi, wasm_v128_load(ri + 4)));
      p3 = wasm_f64x2_add(p3, wasm_f64x2_mul(vi, wasm_v128_load(ri + 6)));
    }
    for (int i = k + 1; i < n; i++) {
      double *ri = q + i * n + js;
      const v128_t vf = wasm_f64x2_splat(b * vk[i]);
      wasm_v128_store(ri, wasm_f64x2_sub(wasm_v128_load(ri), wasm_f64x2_mul(vf, p0)));
      wasm_v128_store(ri + 2, wasm_f64x2_sub(wasm_v128_load(ri + 2), wasm_f64x2_mul(vf, p1)));
      wasm_v128_store(ri + 4, wasm_f64x2_sub(wasm_v128_load(ri + 4), wasm_f64x2_mul(vf, p2)));
      wasm_v128_store(ri + 6, wasm_f64x2_sub(wasm_v128_load(ri + 6), wasm_f64x2_mul(vf, p3)));
    }
    return;
  }
  double p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int w = j1 - js;
  for (int i = k + 1; i < n; i++) {
    const double *ri = q + i * n + js;
    for (int j = 0; j < w; j++) p[j] += vk[i] * ri[j];
  }
  for (int i = k + 1; i < n; i++) {
    double *ri = q + i * n + js;
    const double f = b * vk[i];
    for (int j = 0; j < w; j++) ri[j] -= f * p[j];
  }
}

void cv_tridiagonalize(int n, double *z, double *d, double *e, double *q, double *beta, double *p) {
  if (n == 0) return;
  for (int k = 0; k < n - 2; k++) beta[k] = 0;
  for (int k = 0; k < n - 2; k++) {
    double *vk = z + k * n; /* row k: x, then v */
    d[k] = vk[k];
    double scale = 0;
    for (int j = k + 1; j < n; j++) scale = fmax(scale, fabs(vk[j]));
    if (scale == 0) {
      e[k] = 0;
      continue;
    }
    double ss = 0;
    for (int j = k + 1; j < n; j++) {
      const double x = vk[j] / scale;
      vk[j] = x;
      ss += x * x;
    }
    const double alpha = sqrt(ss);
    const double x0 = vk[k + 1];
    const double sgn = x0 >= 0 ? 1 : -1;
    vk[k + 1] = x0 + sgn * alpha;
    const double b = 1 / (alpha * (alpha + fabs(x0)));
    beta[k] = b;
    e[k] = -sgn * alpha * scale;

    symv_upper(n, k, z, p);
    double pv = 0;
    for (int i = k + 1; i < n; i++) {
      p[i] *= b;
      pv += p[i] * vk[i];
    }
    const double half = 0.5 * b * pv;
    for (int i = k + 1; i < n; i++) p[i] -= half * vk[i]; /* p is now w */
    /* B ← B − v·wᵀ − w·vᵀ, upper triangle: z[i][j] −= v_i·w_j + w_i·v_j for j ≥ i */
    for (int i = k + 1; i < n; i++) {
      double *ri = z + i * n;
      const double vi = vk[i], wi = p[i];
      const v128_t vvi = wasm_f64x2_splat(vi), vwi = wasm_f64x2_splat(wi);
      int j = i;
      for (; j + 2 <= n; j += 2) {
        const v128_t upd = wasm_f64x2_add(wasm_f64x2_mul(vvi, wasm_v128_load(p + j)),
                                          wasm_f64x2_mul(vwi, wasm_v128_load(vk + j)));
        wasm_v128_store(ri + j, wasm_f64x2_sub(wasm_v128_load(ri + j), upd));
      }
      for (; j < n; j++) ri[j] -= vi * p[j] + wi * vk[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = z[(n - 2) * n + n - 2];
    e[n - 2] = z[(n - 2) * n + n - 1];
  }
  d[n - 1] = z[n * n - 1];

  if (q == NULL) return;
  memset(q, 0, (size_t)n * n * sizeof(double));
  for (int i = 0; i < n; i++) q[i * n + i] = 1;
  /* Column j of Q only ever meets column j (p[j] = Σᵢ vᵢ·Q[i][j], then Q[i][j] −= β·vᵢ·p[j]), so
   * every step k runs on one strip of eight columns after another: the strip stays in cache
   * through all n − 2 steps instead of Q streaming through memory twice per step. */
  for (int j0 = 0; j0 < n; j0 += 8) {
    const int j1 = j0 + 8 < n ? j0 + 8 : n;
    for (int k = n - 3; k >= 0; k--) {
      const double b = beta[k];
      if (b == 0) continue;
      const int js = k + 1 > j0 ? k + 1 : j0;
      if (js >= j1) continue;
      accumulate_strip(n, k, z + k * n, b, q, js, j1);
    }
  }
}
