/*
 * exp, tanh and the logistic function on f64x2 lanes, accurate to a few units in the last place of
 * double precision (relative error < 1e-15 over the ranges used). They serve the float32 unary
 * kernels: a float32 input is widened, evaluated in double and rounded once, which gives the
 * float32-rounded value of the exact function except when that value lies within ~1e-15
 * (relative) of a rounding boundary — so the results equal the reference's fround(Math.exp(x))
 * etc., bit for bit in practice and always within 1 ulp. Inputs are clamped to the float32 range
 * of interest (see each function), so they are not general-purpose double functions.
 */
#ifndef CV_SIMD_MATH_H
#define CV_SIMD_MATH_H
#include <wasm_simd128.h>

/*
 * Method: the classic argument reduction (Cody & Waite; Tang, ACM TOMS 15(2), 1989, without the table):
 *   y = k·ln2 + r,  k = nearest(y/ln2),  |r| ≤ ln2/2,
 * with ln2 split into a 32-bit-mantissa head (k·LN2_HI is exact for |k| < 2²⁰) and a tail, and
 *   q(r) = e^r − 1 = r + r²/2! + … + r¹³/13!   (Taylor; truncation < 5e-18 for |r| ≤ 0.347;
 *                                              Estrin's scheme),
 *   e^y = 2^k·(1 + q),   e^y − 1 = 2^k·q + (2^k − 1)   (no cancellation when k = 0).
 * 2^k is assembled from its exponent bits (k + 1023) << 52; |k| ≤ 160 here, so it is a normal
 * double and the scaling is exact.
 */

#define CV_LN2_HI 0x1.62e42feep-1     /* ln 2, upper 32 mantissa bits: k·LN2_HI exact */
#define CV_LN2_LO 0x1.a39ef35793c76p-33 /* ln 2 − LN2_HI */
#define CV_INV_LN2 0x1.71547652b82fep0

/*
 * q(r) = e^r − 1 = r + r²·P(r), P(r) = Σ_{j=2..13} r^{j−2}/j!, evaluated by Estrin's scheme
 * (pairs, then powers r², r⁴, r⁸) for a short dependency chain.
 */
static inline v128_t cv_expm1_poly(v128_t r) {
#define CV_FMA(a, b, c) wasm_f64x2_add(wasm_f64x2_mul((a), (b)), (c)) /* a·b + c, two roundings */
#define CV_C(x) wasm_f64x2_splat(x)
  const v128_t r2 = wasm_f64x2_mul(r, r), r4 = wasm_f64x2_mul(r2, r2), r8 = wasm_f64x2_mul(r4, r4);
  const v128_t a0 = CV_FMA(CV_C(1.0 / 6), r, CV_C(1.0 / 2));
  const v128_t a1 = CV_FMA(CV_C(1.0 / 120), r, CV_C(1.0 / 24));
  const v128_t a2 = CV_FMA(CV_C(1.0 / 5040), r, CV_C(1.0 / 720));
  const v128_t a3 = CV_FMA(CV_C(1.0 / 362880), r, CV_C(1.0 / 40320));
  const v128_t a4 = CV_FMA(CV_C(1.0 / 39916800), r, CV_C(1.0 / 3628800));
  const v128_t a5 = CV_FMA(CV_C(1.0 / 6227020800.0), r, CV_C(1.0 / 479001600));
  const v128_t b0 = CV_FMA(a1, r2, a0), b1 = CV_FMA(a3, r2, a2), b2 = CV_FMA(a5, r2, a4);
  const v128_t p = CV_FMA(b2, r8, CV_FMA(b1, r4, b0));
  return CV_FMA(r2, p, r);
#undef CV_FMA
#undef CV_C
}

/*
 * Reduction: returns r and, in *scale, 2^k for y = k·ln2 + r (|k| ≤ 1022). k = nearest(y/ln2) by
 * the shifter trick: adding 1.5·2⁵² rounds y/ln2 to an integer held in the low mantissa bits, so
 * those bits plus the exponent bias, shifted to the exponent field, are the bits of 2^k (no
 * float→int conversion, which this toolchain scalarises).
 */
static inline v128_t cv_exp_reduce(v128_t y, v128_t *scale) {
  const v128_t shifter = wasm_f64x2_splat(0x1.8p52);
  const v128_t kp = wasm_f64x2_add(wasm_f64x2_mul(y, wasm_f64x2_splat(CV_INV_LN2)), shifter);
  const v128_t k = wasm_f64x2_sub(kp, shifter);
  v128_t r = wasm_f64x2_sub(y, wasm_f64x2_mul(k, wasm_f64x2_splat(CV_LN2_HI)));
  r = wasm_f64x2_sub(r, wasm_f64x2_mul(k, wasm_f64x2_splat(CV_LN2_LO)));
  *scale = wasm_i64x2_shl(wasm_i64x2_add(kp, wasm_i64x2_splat(1023)), 52);
  return r;
}

static inline v128_t cv_exp_f64x2(v128_t x) {
  /* ±Inf clamp to the ends, whose exponentials round to +Inf / 0 in float32. pmax(x, c) is
     x < c ? c : x and pmin(x, c) is c < x ? c : x: with x first, NaN passes through (one
     instruction each, unlike the NaN-canonicalising min/max). */
  x = wasm_f64x2_pmin(wasm_f64x2_pmax(x, wasm_f64x2_splat(-110.0)), wasm_f64x2_splat(90.0));
  v128_t s;
  const v128_t r = cv_exp_reduce(x, &s);
  return wasm_f64x2_mul(wasm_f64x2_add(cv_expm1_poly(r), wasm_f64x2_splat(1.0)), s);
}

/* e^y − 1 for 0 ≤ y ≤ 40 (or NaN). */
static inline v128_t cv_expm1_pos(v128_t y) {
  v128_t s;
  const v128_t r = cv_exp_reduce(y, &s);
  const v128_t q = cv_expm1_poly(r);
  return wasm_f64x2_add(wasm_f64x2_mul(s, q), wasm_f64x2_sub(s, wasm_f64x2_splat(1.0)));
}

static inline v128_t cv_tanh_f64x2(v128_t x) {
  /* tanh|x| = em/(em + 2) with em = e^{2|x|} − 1; 2|x| clamped to 40 (tanh 20 = 1 − 8e-18). */
  const v128_t sign = wasm_v128_and(x, wasm_f64x2_splat(-0.0));
  const v128_t ax = wasm_f64x2_abs(x);
  const v128_t y = wasm_f64x2_pmin(wasm_f64x2_add(ax, ax), wasm_f64x2_splat(40.0));
  const v128_t em = cv_expm1_pos(y);
  const v128_t t = wasm_f64x2_div(em, wasm_f64x2_add(em, wasm_f64x2_splat(2.0)));
  return wasm_v128_or(t, sign); /* t ≥ 0 (or NaN): OR-ing the sign bit is copysign */
}

static inline v128_t cv_sigmoid_f64x2(v128_t x) {
  /* e = e^{-|x|} ≤ 1; x ≥ 0: 1/(1 + e), else e/(1 + e) (NaN takes the second branch: NaN). */
  const v128_t e = cv_exp_f64x2(wasm_f64x2_neg(wasm_f64x2_abs(x)));
  const v128_t d = wasm_f64x2_add(wasm_f64x2_splat(1.0), e);
  const v128_t pos = wasm_f64x2_div(wasm_f64x2_splat(1.0), d);
  const v128_t neg = wasm_f64x2_div(e, d);
  return wasm_v128_bitselect(pos, neg, wasm_f64x2_ge(x, wasm_f64x2_splat(0.0)));
}

#endif
