// Elementwise kernels (fill, cast, unary, binary, mul_add, where, copy, reduce, sum_squares) over raw typed storage.
// Semantics follow the js reference backend (src/backend/js/elementwise.ts): values are computed in
// double precision and stored with the destination type's conversion (float32 rounding, or
// JavaScript's ToInt32 for int32), so results match the reference up to libm last-ulp differences.
#pragma once

#include <cstdint>

#include "strided.h"

namespace cv {

/** Element types, in the order of the addon's dtype codes. */
enum class DType : int { F32 = 0, F64 = 1, I32 = 2 };

/** A typed array's storage. */
struct View {
  void* data;
  DType dtype;
  int64_t length;
};

/** Op codes: the order of UNARY_OPS / BINARY_OPS / REDUCE_OPS in src/backend/native/ops.ts. */
enum class Unary : int {
  Neg, Exp, Log, Tanh, Sigmoid, Sqrt, Abs, Sign, Square, Reciprocal, Log1p, Expm1, Softplus, Erf, Sin,
  Cos, Relu, Step, IsFinite, Count
};
enum class Binary : int { Add, Sub, Mul, Div, Pow, Max, Min, Gt, Ge, Lt, Le, Eq, Ne, Count };
enum class Reduce : int { Sum, Max, Min, Count };

void fill(const View& buf, double value);
void cast(const View& src, const View& dst, int64_t n);
void unary(Unary op, const View& x, const View& out, int64_t n);
/** float32 exp, tanh and sigmoid on SIMD double lanes (vmath.h); false for other ops. */
bool unary_f32_avx2(Unary op, const float* x, float* out, int64_t n);
bool unary_f32_avx512(Unary op, const float* x, float* out, int64_t n);
/** out[i] = e^{x[i]} in double on the best SIMD path (a few ulps; libm where the CPU has none). */
void exp_f64_lanes(const double* x, double* out, int64_t n);
void exp_f64_avx2(const double* x, double* out, int64_t n);
void exp_f64_avx512(const double* x, double* out, int64_t n);
/** out (contiguous over s.shape) = a op b; s.strides = {a, b, out}. All one dtype. */
void binary(Binary op, const Strided& s, const View& a, const View& b, const View& out);
/** out = a·b + c·d (float operands, strided; out contiguous), rounded as mul, mul, add would be. */
void mul_add(const Strided& s, const View& a, const View& b, const View& c, const View& d, const View& out);
/** out = c != 0 ? a : b; s.strides = {c, a, b, out}. All one dtype. */
void where(const Strided& s, const View& c, const View& a, const View& b, const View& out);
/** dst[dstOff + idx·ds] = src[srcOff + idx·ss]; s.strides = {src, dst}. One dtype. */
void copy(const Strided& s, const View& src, int64_t src_off, const View& dst, int64_t dst_off);
void reduce(Reduce op, const View& x, int64_t outer, int64_t r, int64_t inner, const View& out);
/** out[o, i] = Σ_k x[o, k, i]², each square rounded to T and summed in double in k order (float x, out). */
void sum_squares(const View& x, int64_t outer, int64_t r, int64_t inner, const View& out);

}  // namespace cv
