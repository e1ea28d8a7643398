/*
 * cv_unary_f32 / cv_unary_f64: out[i] = f(x[i]) for i < n (x and out contiguous, may alias).
 * Op codes as in curvature.h. Semantics are those of unaryFns in src/backend/js/elementwise.ts:
 *  - the algebraic ops (neg, sqrt, abs, sign, square, reciprocal, relu, step, isfinite) run on SIMD
 *    lanes; for float32 a single rounded IEEE operation equals the reference's double computation
 *    rounded to float32, so results are bit-identical;
 *  - transcendental ops are evaluated in double and rounded once for float32, as the reference
 *    does with Math.*: float32 exp, tanh and sigmoid on f64x2 lanes (simd_math.c, accurate to
 *    ~1e-15, so the float32 results are the reference's except, at most by 1 ulp, when the exact
 *    value is within ~1e-15 of a rounding boundary), everything else with libm (musl; float64
 *    results ≤ 2 ulp from V8's fdlibm-derived Math.* functions);
 *  - NaN: sign, relu and step give 0 (comparisons with NaN are false), isfinite gives 0.
 */
#include "cv_internal.h"
#include "scalar_math.h"
#include "simd_math.h"

enum {
  U_NEG, U_EXP, U_LOG, U_TANH, U_SIGMOID, U_SQRT, U_ABS, U_SIGN, U_SQUARE, U_RECIPROCAL,
  U_LOG1P, U_EXPM1, U_SOFTPLUS, U_ERF, U_SIN, U_COS, U_RELU, U_STEP, U_ISFINITE
};

/* Scalar op in double precision (the reference's definition); -1 codes fall back to NaN. */
static double scalar_op(int op, double x) {
  switch (op) {
    case U_NEG: return -x;
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_TANH: return tanh(x);
    case U_SIGMOID: return cv_sigmoid(x);
    case U_SQRT: return sqrt(x);
    case U_ABS: return fabs(x);
    case U_SIGN: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case U_SQUARE: return x * x;
    case U_RECIPROCAL: return 1 / x;
    case U_LOG1P: return log1p(x);
    case U_EXPM1: return expm1(x);
    case U_SOFTPLUS: return cv_softplus(x);
    case U_ERF: return cv_erf(x);
    case U_SIN: return sin(x);
    case U_COS: return cos(x);
    case U_RELU: return x > 0 ? x : 0.0;
    case U_STEP: return x > 0 ? 1.0 : 0.0;
    case U_ISFINITE: return isfinite(x) ? 1.0 : 0.0;
    default: return NAN;
  }
}

/* Loops over a scalar libm function, one per op so the call is direct. */
#define MAP_F32(FN)                                                                                \
  do {                                                                                             \
    for (int i = 0; i < n; i++) out[i] = (float)FN((double)x[i]);                                  \
  } while (0)
#define MAP_F64(FN)                                                                                \
  do {                                                                                             \
    for (int i = 0; i < n; i++) out[i] = FN(x[i]);                                                 \
  } while (0)

/*
 * float32 → f64x2 → f32 map: four floats widened to two f64x2, F applied, narrowed. The tail goes
 * through the same vector code (zero padded), so a result never depends on the element's position.
 */
#define DEFINE_MAP_VIA_F64X2(NAME, F)                                                              \
  static inline v128_t NAME##_4(v128_t v) {                                                        \
    const v128_t lo = F(wasm_f64x2_promote_low_f32x4(v));                                          \
    const v128_t hi = F(wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 0)));             \
    return wasm_i64x2_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi),  \
                              0, 2);                                                               \
  }                                                                                                \
  static void NAME(const float *x, float *out, int n) {                                            \
    int i = 0;                                                                                     \
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, NAME##_4(wasm_v128_load(x + i)));          \
    if (i < n) {                                                                                   \
      float t[4] __attribute__((aligned(16))) = {0, 0, 0, 0};                                      \
      for (int j = 0; i + j < n; j++) t[j] = x[i + j];                                             \
      wasm_v128_store(t, NAME##_4(wasm_v128_load(t)));                                             \
      for (int j = 0; i + j < n; j++) out[i + j] = t[j];                                           \
    }                                                                                              \
  }

DEFINE_MAP_VIA_F64X2(exp_f32, cv_exp_f64x2)
DEFINE_MAP_VIA_F64X2(tanh_f32, cv_tanh_f64x2)
DEFINE_MAP_VIA_F64X2(sigmoid_f32, cv_sigmoid_f64x2)

/* SIMD map with a scalar tail; VEXPR uses v, SEXPR uses s. LANES elements per vector. */
#define SIMD_MAP(T, LANES, VEXPR, SEXPR)                                                           \
  do {                                                                                             \
    int i = 0;                                                                                     \
    for (; i + LANES <= n; i += LANES) {                                                           \
      const v128_t v = wasm_v128_load(x + i);                                                      \
      wasm_v128_store(out + i, (VEXPR));                                                           \
    }                                                                                              \
    for (; i < n; i++) {                                                                           \
      const T s = x[i];                                                                            \
      out[i] = (SEXPR);                                                                            \
    }                                                                                              \
  } while (0)

void cv_unary_f32(int op, const float *x, float *out, int n) {
  const v128_t zero = wasm_f32x4_splat(0.0f), one = wasm_f32x4_splat(1.0f);
  const v128_t mone = wasm_f32x4_splat(-1.0f), inf = wasm_f32x4_splat(INFINITY);
  switch (op) {
    case U_NEG: SIMD_MAP(float, 4, wasm_f32x4_neg(v), -s); return;
    case U_SQRT: SIMD_MAP(float, 4, wasm_f32x4_sqrt(v), sqrtf(s)); return;
    case U_ABS: SIMD_MAP(float, 4, wasm_f32x4_abs(v), fabsf(s)); return;
    case U_SIGN:
      SIMD_MAP(float, 4,
               wasm_v128_or(wasm_v128_and(wasm_f32x4_gt(v, zero), one),
                            wasm_v128_and(wasm_f32x4_lt(v, zero), mone)),
               s > 0 ? 1.0f : s < 0 ? -1.0f : 0.0f);
      return;
    case U_SQUARE: SIMD_MAP(float, 4, wasm_f32x4_mul(v, v), s * s); return;
    case U_RECIPROCAL: SIMD_MAP(float, 4, wasm_f32x4_div(one, v), 1.0f / s); return;
    case U_RELU: SIMD_MAP(float, 4, wasm_v128_and(v, wasm_f32x4_gt(v, zero)), s > 0 ? s : 0.0f); return;
    case U_STEP: SIMD_MAP(float, 4, wasm_v128_and(wasm_f32x4_gt(v, zero), one), s > 0 ? 1.0f : 0.0f); return;
    case U_ISFINITE:
      SIMD_MAP(float, 4, wasm_v128_and(wasm_f32x4_lt(wasm_f32x4_abs(v), inf), one),
               isfinite(s) ? 1.0f : 0.0f);
      return;
    case U_EXP: exp_f32(x, out, n); return;
    case U_LOG: MAP_F32(log); return;
    case U_TANH: tanh_f32(x, out, n); return;
    case U_SIGMOID: sigmoid_f32(x, out, n); return;
    case U_LOG1P: MAP_F32(log1p); return;
    case U_EXPM1: MAP_F32(expm1); return;
    case U_SOFTPLUS: MAP_F32(cv_softplus); return;
    case U_ERF: MAP_F32(cv_erf); return;
    case U_SIN: MAP_F32(sin); return;
    case U_COS: MAP_F32(cos); return;
    default:
      for (int i = 0; i < n; i++) out[i] = (float)scalar_op(op, x[i]);
      return;
  }
}

void cv_unary_f64(int op, const double *x, double *out, int n) {
  const v128_t zero = wasm_f64x2_splat(0.0), one = wasm_f64x2_splat(1.0);
  const v128_t mone = wasm_f64x2_splat(-1.0), inf = wasm_f64x2_splat(INFINITY);
  switch (op) {
    case U_NEG: SIMD_MAP(double, 2, wasm_f64x2_neg(v), -s); return;
    case U_SQRT: SIMD_MAP(double, 2, wasm_f64x2_sqrt(v), sqrt(s)); return;
    case U_ABS: SIMD_MAP(double, 2, wasm_f64x2_abs(v), fabs(s)); return;
    case U_SIGN:
      SIMD_MAP(double, 2,
               wasm_v128_or(wasm_v128_and(wasm_f64x2_gt(v, zero), one),
                            wasm_v128_and(wasm_f64x2_lt(v, zero), mone)),
               s > 0 ? 1.0 : s < 0 ? -1.0 : 0.0);
      return;
    case U_SQUARE: SIMD_MAP(double, 2, wasm_f64x2_mul(v, v), s * s); return;
    case U_RECIPROCAL: SIMD_MAP(double, 2, wasm_f64x2_div(one, v), 1.0 / s); return;
    case U_RELU: SIMD_MAP(double, 2, wasm_v128_and(v, wasm_f64x2_gt(v, zero)), s > 0 ? s : 0.0); return;
    case U_STEP: SIMD_MAP(double, 2, wasm_v128_and(wasm_f64x2_gt(v, zero), one), s > 0 ? 1.0 : 0.0); return;
    case U_ISFINITE:
      SIMD_MAP(double, 2, wasm_v128_and(wasm_f64x2_lt(wasm_f64x2_abs(v), inf), one),
               isfinite(s) ? 1.0 : 0.0);
      return;
    case U_EXP: MAP_F64(exp); return;
    case U_LOG: MAP_F64(log); return;
    case U_TANH: MAP_F64(tanh); return;
    case U_SIGMOID: MAP_F64(cv_sigmoid); return;
    case U_LOG1P: MAP_F64(log1p); return;
    case U_EXPM1: MAP_F64(expm1); return;
    case U_SOFTPLUS: MAP_F64(cv_softplus); return;
    case U_ERF: MAP_F64(cv_erf); return;
    case U_SIN: MAP_F64(sin); return;
    case U_COS: MAP_F64(cos); return;
    default:
      for (int i = 0; i < n; i++) out[i] = scalar_op(op, x[i]);
      return;
  }
}
