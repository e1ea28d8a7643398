// exp, tanh and the logistic function on vectors of doubles (GCC vector extensions), for the
// float32 unary kernels: each float is widened, evaluated in double to ~1e-15 relative and rounded
// once, so the result is the reference's fround(Math.tanh(x)) etc. except, by at most 1 ulp, when
// the exact value lies within ~1e-15 of a float32 rounding boundary — the same method and the same
// guarantee as the wasm module's simd_math.h. Included only by the ISA translation units
// (unary_avx2.cc, unary_avx512.cc), which instantiate it at their vector width.
//
// Method (Cody & Waite reduction; Tang, ACM TOMS 15(2), 1989, without the table):
//   y = k·ln2 + r, k = nearest(y/ln2), |r| ≤ ln2/2, ln2 split into a 32-bit head (k·LN2_HI exact)
//   and a tail; e^r − 1 = r + r²·P(r), P the Taylor series to r¹³/13! (truncation < 5e-18),
//   evaluated by Estrin's scheme; e^y = 2^k·(1 + q), e^y − 1 = 2^k·q + (2^k − 1).
#pragma once

#include <cstdint>
#include <cstring>

#include "elementwise.h"

namespace cv {
namespace vmath {

constexpr double kLn2Hi = 0x1.62e42feep-1;
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;
constexpr double kInvLn2 = 0x1.71547652b82fep0;

/** 1/d by a division: the portable choice (Math's R parameter). */
struct DivideRecip {
  template <typename V> static V recip(V d) { return 1.0 / d; }
};

/**
 * V: a vector of doubles; I: the vector of int64 of the same size (bit casts between them); R: how
 * to form 1/d for d in [1, 2^58] (tanh's and the logistic function's one division), accurate to a
 * few ulps — a division, or an ISA's reciprocal estimate refined by Newton steps (a vector
 * division costs about as much as all the rest of tanh).
 */
template <typename V, typename I, typename R = DivideRecip>
struct Math {
  /** c in every lane (c − 0 keeps the sign of −0, which 0 + c would lose). */
  static V splat(double c) { return c - V{}; }
  /** c < x ? c : x, per lane; NaN in x passes through. */
  static V min_keep_nan(V x, double c) { const V vc = splat(c); return vc < x ? vc : x; }
  /** x < c ? c : x, per lane; NaN in x passes through. */
  static V max_keep_nan(V x, double c) { const V vc = splat(c); return x < vc ? vc : x; }

  static V expm1_poly(V r) {
    const V r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const V a0 = splat(1.0 / 6) * r + 1.0 / 2;
    const V a1 = splat(1.0 / 120) * r + 1.0 / 24;
    const V a2 = splat(1.0 / 5040) * r + 1.0 / 720;
    const V a3 = splat(1.0 / 362880) * r + 1.0 / 40320;
    const V a4 = splat(1.0 / 39916800) * r + 1.0 / 3628800;
    const V a5 = splat(1.0 / 6227020800.0) * r + 1.0 / 479001600;
    const V b0 = a1 * r2 + a0, b1 = a3 * r2 + a2, b2 = a5 * r2 + a4;
    return r2 * (b2 * r8 + (b1 * r4 + b0)) + r;
  }

  /** r with y = k·ln2 + r, and 2^k in *scale (|k| ≤ 1022), by the shifter trick. */
  static V reduce(V y, V* scale) {
    const double shifter = 0x1.8p52;
    const V kp = y * kInvLn2 + shifter;
    const V k = kp - shifter;
    V r = y - k * kLn2Hi;
    r = r - k * kLn2Lo;
    *scale = (V)(((I)kp + 1023) << 52);
    return r;
  }

  /** e^x; x clamped to [−110, 90] (the float32 results there are 0 and +Inf), NaN kept. */
  static V exp(V x) {
    x = min_keep_nan(max_keep_nan(x, -110.0), 90.0);
    V s;
    const V r = reduce(x, &s);
    return (expm1_poly(r) + 1.0) * s;
  }

  /** e^y − 1 for 0 ≤ y ≤ 40 (or NaN). */
  static V expm1_pos(V y) {
    V s;
    const V r = reduce(y, &s);
    return s * expm1_poly(r) + (s - 1.0);
  }

  /** tanh|x| = em/(em + 2), em = e^{2|x|} − 1, 2|x| clamped to 40 (tanh 20 = 1 − 8e-18); sign restored. */
  static V tanh(V x) {
    const I sign_bit = (I)splat(-0.0);
    const I sign = (I)x & sign_bit;
    const V ax = (V)((I)x & ~sign_bit);
    const V em = expm1_pos(min_keep_nan(ax + ax, 40.0));
    const V t = em * R::recip(em + 2.0);
    return (V)((I)t | sign);
  }

  /** 1/(1 + e^{−x}) as 1/(1 + e) for x ≥ 0 and e/(1 + e) otherwise, e = e^{−|x|} (NaN → NaN). */
  static V sigmoid(V x) {
    const I sign_bit = (I)splat(-0.0);
    const V e = exp((V)((I)x | sign_bit));
    const V pos = R::recip(e + 1.0), neg = e * pos;
    return x >= 0.0 ? pos : neg;
  }
};

/**
 * out[i] = f(x[i]) over vectors of N elements (X: N inputs of type S, Y: N outputs of type D). The
 * tail is padded with zeros and goes through the same vector code, so an element's result never
 * depends on its position.
 */
template <int N, typename X, typename Y, typename S, typename D, typename Fn>
void map_lanes(const S* x, D* out, int64_t n, Fn f) {
  auto one = [&](const S* src, D* dst) {
    X v;
    std::memcpy(&v, src, sizeof v);
    const Y r = f(v);
    std::memcpy(dst, &r, sizeof r);
  };
  int64_t i = 0;
  for (; i + N <= n; i += N) one(x + i, out + i);
  if (i < n) {
    S t[N] = {};
    D u[N];
    std::memcpy(t, x + i, static_cast<size_t>(n - i) * sizeof(S));
    one(t, u);
    std::memcpy(out + i, u, static_cast<size_t>(n - i) * sizeof(D));
  }
}

/**
 * out[i] = f(x[i]) for float32 x through double lanes (F: a vector of N floats, V/I of N doubles
 * and int64): widened, evaluated, rounded once. Returns false for ops this path does not cover.
 */
template <typename F, typename V, typename I, int N, typename R = DivideRecip>
bool unary_f32(Unary op, const float* x, float* out, int64_t n) {
  using M = Math<V, I, R>;
  auto run = [&](auto f) {
    map_lanes<N, F, F>(x, out, n, [&](F v) { return __builtin_convertvector(f(__builtin_convertvector(v, V)), F); });
  };
  switch (op) {
    case Unary::Exp: run([](V v) { return M::exp(v); }); return true;
    case Unary::Tanh: run([](V v) { return M::tanh(v); }); return true;
    case Unary::Sigmoid: run([](V v) { return M::sigmoid(v); }); return true;
    default: return false;
  }
}

/** out[i] = e^{x[i]} for doubles (≤ a few ulps; x clamped to [−110, 90] as in Math::exp). */
template <typename V, typename I, int N>
void exp_f64(const double* x, double* out, int64_t n) {
  map_lanes<N, V, V>(x, out, n, [](V v) { return Math<V, I>::exp(v); });
}

}  // namespace vmath
}  // namespace cv
