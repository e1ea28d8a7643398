// Device-side scalar semantics shared by the kernels: the js reference's conversions and operators
// (src/backend/js/elementwise.ts), evaluated in double like the reference and the CPU addon.
#pragma once

#include <cstdint>

#include "common.h"

namespace cv {
namespace cuda {

/** JavaScript's ToInt32: NaN/±Inf → 0, else the integer part modulo 2^32 as a signed value. */
__device__ __forceinline__ int32_t to_int32(double x) {
  if (!isfinite(x)) return 0;
  if (x >= -2147483648.0 && x < 2147483648.0) return static_cast<int32_t>(x);
  double t = fmod(trunc(x), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

template <typename T> __device__ __forceinline__ T store(double v) { return static_cast<T>(v); }
template <> __device__ __forceinline__ int32_t store<int32_t>(double v) { return to_int32(v); }

__device__ __forceinline__ double d_sigmoid(double x) {
  if (x >= 0) return 1 / (1 + exp(-x));
  const double e = exp(x);
  return e / (1 + e);
}
__device__ __forceinline__ double d_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

__device__ __forceinline__ double apply_unary(Unary op, double x) {
  switch (op) {
    case Unary::Neg: return -x;
    case Unary::Exp: return exp(x);
    case Unary::Log: return log(x);
    case Unary::Tanh: return tanh(x);
    case Unary::Sigmoid: return d_sigmoid(x);
    case Unary::Sqrt: return sqrt(x);
    case Unary::Abs: return fabs(x);
    case Unary::Sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case Unary::Square: return x * x;
    case Unary::Reciprocal: return 1 / x;
    case Unary::Log1p: return log1p(x);
    case Unary::Expm1: return expm1(x);
    case Unary::Softplus: return d_softplus(x);
    case Unary::Erf: return erf(x);
    case Unary::Sin: return sin(x);
    case Unary::Cos: return cos(x);
    case Unary::Relu: return x > 0 ? x : 0;
    case Unary::Step: return x > 0 ? 1 : 0;
    case Unary::IsFinite: return isfinite(x) ? 1 : 0;
    default: return __longlong_as_double(0x7ff8000000000000LL);
  }
}

/** JS Math.pow differs from C pow where JS gives NaN: 1 ** ±Inf and x ** NaN. */
__device__ __forceinline__ double js_pow(double a, double b) {
  if (isnan(b)) return __longlong_as_double(0x7ff8000000000000LL);
  if (isinf(b) && fabs(a) == 1) return __longlong_as_double(0x7ff8000000000000LL);
  return pow(a, b);
}

__device__ __forceinline__ double apply_binary(Binary op, double a, double b) {
  switch (op) {
    case Binary::Add: return a + b;
    case Binary::Sub: return a - b;
    case Binary::Mul: return a * b;
    case Binary::Div: return a / b;
    case Binary::Pow: return js_pow(a, b);
    case Binary::Max: return a >= b || isnan(a) ? a : b;
    case Binary::Min: return a <= b || isnan(a) ? a : b;
    case Binary::Gt: return a > b ? 1 : 0;
    case Binary::Ge: return a >= b ? 1 : 0;
    case Binary::Lt: return a < b ? 1 : 0;
    case Binary::Le: return a <= b ? 1 : 0;
    case Binary::Eq: return a == b ? 1 : 0;
    case Binary::Ne: return a != b ? 1 : 0;
    default: return __longlong_as_double(0x7ff8000000000000LL);
  }
}

/** The reduction's combine: sum, or max/min where NaN wins (the reference's order-free rule). */
__device__ __forceinline__ double combine(Reduce op, double acc, double v) {
  if (op == Reduce::Sum) return acc + v;
  if (op == Reduce::Max) return v > acc || isnan(v) ? v : acc;
  return v < acc || isnan(v) ? v : acc;
}

/** Blocks of 256 threads, at most 65536 blocks: kernels loop grid-stride over the rest. */
constexpr int kThreads = 256;
inline unsigned grid_for(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;
#ifdef CV_EMULATOR
  if (b > 4) b = 4;  // the CPU emulator (test/backend/cuda/emu/): every grid_for kernel is grid-stride
#endif
  return static_cast<unsigned>(b);
}

}  // namespace cuda
}  // namespace cv
