/*
 * cv_reduce_{f32,f64}: x viewed as [outer, r, inner], out[o, i] = op over k of x[o, k, i]
 * (reduceKernel in src/backend/js/elementwise.ts). Op codes: 0 sum, 1 max, 2 min.
 *
 *  - sum accumulates in double for float32 too, rounded once on output; an empty sum is 0;
 *  - max/min: acc = (v > acc || isnan(v)) ? v : acc (resp. <), starting from ∓Inf: any NaN gives
 *    NaN, and among equal extremes (+0 / −0) the first one wins;
 *  - inner > 1: each output element is accumulated in the reference's order (k ascending), SIMD
 *    across i, so results are bit-identical to the reference;
 *  - inner = 1 (reduction along contiguous memory): SIMD partial accumulators. For max/min the
 *    result is the same value; when it is a zero, the ±0 tie rule is re-applied by a scalar pass.
 *    For sum the partial sums (4 in double) change the rounding order: the result is within the
 *    usual summation error bound of the reference's sequential sum, not bit-identical.
 */
#include "cv_internal.h"

enum { R_SUM, R_MAX, R_MIN };

#define IB 256 /* output columns accumulated together when inner > 1 */

/* Sequential scalar extreme (the reference loop), used for short rows and the ±0 tie rule. */
#define SCALAR_EXTREME(T, x, n, IS_MAX)                                                            \
  ({                                                                                               \
    T acc_ = (IS_MAX) ? -INFINITY : INFINITY;                                                      \
    for (int k_ = 0; k_ < (n); k_++) {                                                             \
      const T v_ = (x)[k_];                                                                        \
      if ((IS_MAX) ? (v_ > acc_ || v_ != v_) : (v_ < acc_ || v_ != v_)) acc_ = v_;                 \
    }                                                                                              \
    acc_;                                                                                          \
  })

/* ---------------- inner = 1 ---------------- */

static double sum_f32_row(const float *x, int n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    const v128_t v = wasm_v128_load(x + k);
    s0 = wasm_f64x2_add(s0, wasm_f64x2_promote_low_f32x4(v));
    s1 = wasm_f64x2_add(s1, wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0)));
  }
  const v128_t s = wasm_f64x2_add(s0, s1);
  double acc = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; k < n; k++) acc += x[k];
  return acc;
}

static double sum_f64_row(const double *x, int n) {
  v128_t s0 = wasm_f64x2_splat(0), s1 = s0;
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 = wasm_f64x2_add(s0, wasm_v128_load(x + k));
    s1 = wasm_f64x2_add(s1, wasm_v128_load(x + k + 2));
  }
  const v128_t s = wasm_f64x2_add(s0, s1);
  double acc = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
  for (; k < n; k++) acc += x[k];
  return acc;
}

/* sel(v, acc) = (v > acc || isnan(v)) ? v : acc, lane-wise (max); < for min. */
#define V_PICK_F32(v, acc, CMP) \
  wasm_v128_bitselect(v, acc, wasm_v128_or(CMP(v, acc), wasm_f32x4_ne(v, v)))
#define V_PICK_F64(v, acc, CMP) \
  wasm_v128_bitselect(v, acc, wasm_v128_or(CMP(v, acc), wasm_f64x2_ne(v, v)))

static float extreme_f32_row(const float *x, int n, int isMax) {
  if (n < 16) return SCALAR_EXTREME(float, x, n, isMax);
  v128_t a0 = wasm_f32x4_splat(isMax ? -INFINITY : INFINITY), a1 = a0;
  int k = 0;
  if (isMax) {
    for (; k + 8 <= n; k += 8) {
      const v128_t v0 = wasm_v128_load(x + k), v1 = wasm_v128_load(x + k + 4);
      a0 = V_PICK_F32(v0, a0, wasm_f32x4_gt);
      a1 = V_PICK_F32(v1, a1, wasm_f32x4_gt);
    }
  } else {
    for (; k + 8 <= n; k += 8) {
      const v128_t v0 = wasm_v128_load(x + k), v1 = wasm_v128_load(x + k + 4);
      a0 = V_PICK_F32(v0, a0, wasm_f32x4_lt);
      a1 = V_PICK_F32(v1, a1, wasm_f32x4_lt);
    }
  }
  float lanes[8];
  wasm_v128_store(lanes, a0);
  wasm_v128_store(lanes + 4, a1);
  float acc = SCALAR_EXTREME(float, lanes, 8, isMax);
  for (; k < n; k++) {
    const float v = x[k];
    if (isMax ? (v > acc || v != v) : (v < acc || v != v)) acc = v;
  }
  if (acc == 0) acc = SCALAR_EXTREME(float, x, n, isMax); /* which zero came first */
  return acc;
}

static double extreme_f64_row(const double *x, int n, int isMax) {
  if (n < 8) return SCALAR_EXTREME(double, x, n, isMax);
  v128_t a0 = wasm_f64x2_splat(isMax ? -INFINITY : INFINITY), a1 = a0;
  int k = 0;
  if (isMax) {
    for (; k + 4 <= n; k += 4) {
      const v128_t v0 = wasm_v128_load(x + k), v1 = wasm_v128_load(x + k + 2);
      a0 = V_PICK_F64(v0, a0, wasm_f64x2_gt);
      a1 = V_PICK_F64(v1, a1, wasm_f64x2_gt);
    }
  } else {
    for (; k + 4 <= n; k += 4) {
      const v128_t v0 = wasm_v128_load(x + k), v1 = wasm_v128_load(x + k + 2);
      a0 = V_PICK_F64(v0, a0, wasm_f64x2_lt);
      a1 = V_PICK_F64(v1, a1, wasm_f64x2_lt);
    }
  }
  double lanes[4];
  wasm_v128_store(lanes, a0);
  wasm_v128_store(lanes + 2, a1);
  double acc = SCALAR_EXTREME(double, lanes, 4, isMax);
  for (; k < n; k++) {
    const double v = x[k];
    if (isMax ? (v > acc || v != v) : (v < acc || v != v)) acc = v;
  }
  if (acc == 0) acc = SCALAR_EXTREME(double, x, n, isMax);
  return acc;
}

/* ---------------- inner > 1: SIMD across output columns ---------------- */

/* out[i] = Σ_k x[k·inner + i] for i < w (w ≤ IB), in double, k ascending. */
static void sum_f32_cols(const float *x, int r, int inner, int w, float *out) {
  double acc[IB] __attribute__((aligned(16)));
  for (int i = 0; i < w; i++) acc[i] = 0;
  for (int k = 0; k < r; k++) {
    const float *row = x + (size_t)k * inner;
    int i = 0;
    for (; i + 4 <= w; i += 4) {
      const v128_t v = wasm_v128_load(row + i);
      wasm_v128_store(acc + i, wasm_f64x2_add(wasm_v128_load(acc + i), wasm_f64x2_promote_low_f32x4(v)));
      wasm_v128_store(acc + i + 2, wasm_f64x2_add(wasm_v128_load(acc + i + 2),
                                                  wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0))));
    }
    for (; i < w; i++) acc[i] += row[i];
  }
  for (int i = 0; i < w; i++) out[i] = (float)acc[i];
}

static void sum_f64_cols(const double *x, int r, int inner, int w, double *out) {
  double acc[IB] __attribute__((aligned(16)));
  for (int i = 0; i < w; i++) acc[i] = 0;
  for (int k = 0; k < r; k++) {
    const double *row = x + (size_t)k * inner;
    int i = 0;
    for (; i + 2 <= w; i += 2)
      wasm_v128_store(acc + i, wasm_f64x2_add(wasm_v128_load(acc + i), wasm_v128_load(row + i)));
    for (; i < w; i++) acc[i] += row[i];
  }
  for (int i = 0; i < w; i++) out[i] = acc[i];
}

static void extreme_f32_cols(const float *x, int r, int inner, int w, float *out, int isMax) {
  float acc[IB] __attribute__((aligned(16)));
  for (int i = 0; i < w; i++) acc[i] = isMax ? -INFINITY : INFINITY;
  for (int k = 0; k < r; k++) {
    const float *row = x + (size_t)k * inner;
    int i = 0;
    if (isMax)
      for (; i + 4 <= w; i += 4) {
        const v128_t v = wasm_v128_load(row + i), a = wasm_v128_load(acc + i);
        wasm_v128_store(acc + i, V_PICK_F32(v, a, wasm_f32x4_gt));
      }
    else
      for (; i + 4 <= w; i += 4) {
        const v128_t v = wasm_v128_load(row + i), a = wasm_v128_load(acc + i);
        wasm_v128_store(acc + i, V_PICK_F32(v, a, wasm_f32x4_lt));
      }
    for (; i < w; i++) {
      const float v = row[i];
      if (isMax ? (v > acc[i] || v != v) : (v < acc[i] || v != v)) acc[i] = v;
    }
  }
  memcpy(out, acc, (size_t)w * sizeof(float));
}

static void extreme_f64_cols(const double *x, int r, int inner, int w, double *out, int isMax) {
  double acc[IB] __attribute__((aligned(16)));
  for (int i = 0; i < w; i++) acc[i] = isMax ? -INFINITY : INFINITY;
  for (int k = 0; k < r; k++) {
    const double *row = x + (size_t)k * inner;
    int i = 0;
    if (isMax)
      for (; i + 2 <= w; i += 2) {
        const v128_t v = wasm_v128_load(row + i), a = wasm_v128_load(acc + i);
        wasm_v128_store(acc + i, V_PICK_F64(v, a, wasm_f64x2_gt));
      }
    else
      for (; i + 2 <= w; i += 2) {
        const v128_t v = wasm_v128_load(row + i), a = wasm_v128_load(acc + i);
        wasm_v128_store(acc + i, V_PICK_F64(v, a, wasm_f64x2_lt));
      }
    for (; i < w; i++) {
      const double v = row[i];
      if (isMax ? (v > acc[i] || v != v) : (v < acc[i] || v != v)) acc[i] = v;
    }
  }
  memcpy(out, acc, (size_t)w * sizeof(double));
}

void cv_reduce_f32(int op, const float *x, int outer, int r, int inner, float *out) {
  if (outer <= 0 || inner <= 0 || op < R_SUM || op > R_MIN) return;
  if (r < 0) r = 0;
  for (int o = 0; o < outer; o++) {
    const float *xo = x + (size_t)o * r * inner;
    float *oo = out + (size_t)o * inner;
    if (inner == 1) {
      oo[0] = op == R_SUM ? (float)sum_f32_row(xo, r) : extreme_f32_row(xo, r, op == R_MAX);
      continue;
    }
    for (int i0 = 0; i0 < inner; i0 += IB) {
      const int w = inner - i0 < IB ? inner - i0 : IB;
      if (op == R_SUM) sum_f32_cols(xo + i0, r, inner, w, oo + i0);
      else extreme_f32_cols(xo + i0, r, inner, w, oo + i0, op == R_MAX);
    }
  }
}

void cv_reduce_f64(int op, const double *x, int outer, int r, int inner, double *out) {
  if (outer <= 0 || inner <= 0 || op < R_SUM || op > R_MIN) return;
  if (r < 0) r = 0;
  for (int o = 0; o < outer; o++) {
    const double *xo = x + (size_t)o * r * inner;
    double *oo = out + (size_t)o * inner;
    if (inner == 1) {
      oo[0] = op == R_SUM ? sum_f64_row(xo, r) : extreme_f64_row(xo, r, op == R_MAX);
      continue;
    }
    for (int i0 = 0; i0 < inner; i0 += IB) {
      const int w = inner - i0 < IB ? inner - i0 : IB;
      if (op == R_SUM) sum_f64_cols(xo + i0, r, inner, w, oo + i0);
      else extreme_f64_cols(xo + i0, r, inner, w, oo + i0, op == R_MAX);
    }
  }
}
