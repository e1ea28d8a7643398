// N-API entry points of the CPU addon (node-addon-api). Buffers are JavaScript typed arrays owned
// by the caller (src/backend/native/): the addon reads and writes their storage in place, never
// copies, never keeps a pointer after returning. Argument extents are checked in TypeScript
// (src/backend/checks.ts) before any call; here only the argument kinds and dtypes are checked, and
// a wrong one throws a TypeError rather than touching memory.
#define NAPI_VERSION 8
#include <napi.h>

#include <cstdint>
#include <new>
#include <string>

#include "cpu.h"
#include "elementwise.h"
#include "gemm.h"
#include "im2col.h"
#include "linalg.h"
#include "pool.h"
#include "rows.h"

namespace {

using cv::DType;
using cv::View;

/** Bumped when a function's signature changes; the loader refuses another value. */
constexpr int kAbi = 12;

bool fail(const Napi::Env& env, const std::string& msg) {
  Napi::TypeError::New(env, "curvature_native: " + msg).ThrowAsJavaScriptException();
  return false;
}

/** info[i] as a Float32Array, Float64Array or Int32Array. */
bool view(const Napi::CallbackInfo& info, size_t i, View& out) {
  if (i >= info.Length() || !info[i].IsTypedArray()) return fail(info.Env(), "argument " + std::to_string(i) + " must be a typed array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  switch (ta.TypedArrayType()) {
    case napi_float32_array: out.dtype = DType::F32; break;
    case napi_float64_array: out.dtype = DType::F64; break;
    case napi_int32_array: out.dtype = DType::I32; break;
    default: return fail(info.Env(), "argument " + std::to_string(i) + " must be a Float32Array, Float64Array or Int32Array");
  }
  out.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  out.length = static_cast<int64_t>(ta.ElementLength());
  return true;
}

bool number(const Napi::CallbackInfo& info, size_t i, double& out) {
  if (i >= info.Length() || !info[i].IsNumber()) return fail(info.Env(), "argument " + std::to_string(i) + " must be a number");
  out = info[i].As<Napi::Number>().DoubleValue();
  return true;
}

bool integer(const Napi::CallbackInfo& info, size_t i, int64_t& out) {
  double d;
  if (!number(info, i, d)) return false;
  out = static_cast<int64_t>(d);
  if (static_cast<double>(out) != d) return fail(info.Env(), "argument " + std::to_string(i) + " must be an integer");
  return true;
}

bool same_dtype(const Napi::Env& env, std::initializer_list<const View*> views) {
  const DType d = (*views.begin())->dtype;
  for (const View* v : views) if (v->dtype != d) return fail(env, "operands must share one dtype");
  return true;
}

/**
 * A Float64Array [rank, shape…, strides of operand 0…, …] → Strided with `operands` stride lists,
 * plus (when `contiguous_out`) the contiguous strides of the output as the last list.
 */
bool dims(const Napi::CallbackInfo& info, size_t i, size_t operands, bool contiguous_out, cv::Strided& s) {
  View v;
  if (!view(info, i, v) || v.dtype != DType::F64) return fail(info.Env(), "dims must be a Float64Array");
  const double* d = static_cast<const double*>(v.data);
  if (v.length < 1) return fail(info.Env(), "dims is empty");
  const int64_t rank = static_cast<int64_t>(d[0]);
  if (rank < 0 || v.length < 1 + rank * static_cast<int64_t>(1 + operands)) return fail(info.Env(), "dims too short");
  s.shape.assign(d + 1, d + 1 + rank);
  s.strides.assign(operands + (contiguous_out ? 1 : 0), std::vector<int64_t>(rank));
  for (size_t k = 0; k < operands; k++)
    for (int64_t r = 0; r < rank; r++) s.strides[k][r] = static_cast<int64_t>(d[1 + rank * (1 + k) + r]);
  if (contiguous_out) {
    int64_t st = 1;
    for (int64_t r = rank - 1; r >= 0; r--) { s.strides[operands][r] = st; st *= s.shape[r]; }
  }
  return true;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("abi", kAbi);
  o.Set("avx2fma", cv::cpu_has_avx2_fma());
  o.Set("avx512", cv::cpu_has_avx512());
  o.Set("kernel", cv::gemm_kernel_name());
  o.Set("threads", cv::threads());
  o.Set("defaultThreads", cv::default_threads());
  o.Set("threadMinFlops", cv::thread_min_flops());
  return o;
}

/** setKernelCap('portable' | 'avx2' | 'avx512'): the best kernels allowed; returns those in use. */
Napi::Value SetKernelCap(const Napi::CallbackInfo& info) {
  const std::string cap = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (cap == "portable") cv::set_isa_cap(cv::Isa::Portable);
  else if (cap == "avx2") cv::set_isa_cap(cv::Isa::Avx2);
  else if (cap == "avx512") cv::set_isa_cap(cv::Isa::Avx512);
  else fail(info.Env(), "setKernelCap: expected 'portable', 'avx2' or 'avx512'");
  return Napi::String::New(info.Env(), cv::gemm_kernel_name());
}

void Fill(const Napi::CallbackInfo& info) {
  View b; double v;
  if (!view(info, 0, b) || !number(info, 1, v)) return;
  cv::fill(b, v);
}

void Cast(const Napi::CallbackInfo& info) {
  View s, d; int64_t n;
  if (!view(info, 0, s) || !view(info, 1, d) || !integer(info, 2, n)) return;
  if (n < 0 || n > s.length || n > d.length) { fail(info.Env(), "cast: n out of range"); return; }
  cv::cast(s, d, n);
}

void Unary(const Napi::CallbackInfo& info) {
  int64_t op, n; View x, o;
  if (!integer(info, 0, op) || !view(info, 1, x) || !view(info, 2, o) || !integer(info, 3, n)) return;
  if (op < 0 || op >= static_cast<int64_t>(cv::Unary::Count)) { fail(info.Env(), "unknown unary op"); return; }
  if (!same_dtype(info.Env(), {&x, &o})) return;
  if (n < 0 || n > x.length || n > o.length) { fail(info.Env(), "unary: n out of range"); return; }
  cv::unary(static_cast<cv::Unary>(op), x, o, n);
}

void Binary(const Napi::CallbackInfo& info) {
  int64_t op; cv::Strided s; View a, b, o;
  if (!integer(info, 0, op) || !dims(info, 1, 2, true, s) || !view(info, 2, a) || !view(info, 3, b) || !view(info, 4, o)) return;
  if (op < 0 || op >= static_cast<int64_t>(cv::Binary::Count)) { fail(info.Env(), "unknown binary op"); return; }
  if (!same_dtype(info.Env(), {&a, &b, &o})) return;
  cv::binary(static_cast<cv::Binary>(op), s, a, b, o);
}

/** mulAdd(dims, a, b, c, d, out): out = a·b + c·d (see elementwise.h). */
void MulAdd(const Napi::CallbackInfo& info) {
  cv::Strided s; View a, b, c, d, o;
  if (!dims(info, 0, 4, true, s) || !view(info, 1, a) || !view(info, 2, b) || !view(info, 3, c) || !view(info, 4, d) ||
      !view(info, 5, o)) return;
  if (!same_dtype(info.Env(), {&a, &b, &c, &d, &o})) return;
  if (a.dtype == DType::I32) { fail(info.Env(), "mulAdd needs float operands"); return; }
  cv::mul_add(s, a, b, c, d, o);
}

void Where(const Napi::CallbackInfo& info) {
  cv::Strided s; View c, a, b, o;
  if (!dims(info, 0, 3, true, s) || !view(info, 1, c) || !view(info, 2, a) || !view(info, 3, b) || !view(info, 4, o)) return;
  if (!same_dtype(info.Env(), {&c, &a, &b, &o})) return;
  cv::where(s, c, a, b, o);
}

void Copy(const Napi::CallbackInfo& info) {
  cv::Strided s; View src, dst; int64_t so, dof;
  if (!dims(info, 0, 2, false, s) || !view(info, 1, src) || !integer(info, 2, so) || !view(info, 3, dst) || !integer(info, 4, dof)) return;
  if (!same_dtype(info.Env(), {&src, &dst})) return;
  cv::copy(s, src, so, dst, dof);
}

void Reduce(const Napi::CallbackInfo& info) {
  int64_t op, outer, r, inner; View x, o;
  if (!integer(info, 0, op) || !view(info, 1, x) || !integer(info, 2, outer) || !integer(info, 3, r) ||
      !integer(info, 4, inner) || !view(info, 5, o)) return;
  if (op < 0 || op >= static_cast<int64_t>(cv::Reduce::Count)) { fail(info.Env(), "unknown reduce op"); return; }
  if (!same_dtype(info.Env(), {&x, &o})) return;
  if (outer < 0 || r < 0 || inner < 0 || outer * r * inner > x.length || outer * inner > o.length) { fail(info.Env(), "reduce: sizes out of range"); return; }
  cv::reduce(static_cast<cv::Reduce>(op), x, outer, r, inner, o);
}

/** sumSquares(x, outer, r, inner, out): float32/float64, one dtype. */
void SumSquares(const Napi::CallbackInfo& info) {
  int64_t outer, r, inner; View x, o;
  if (!view(info, 0, x) || !integer(info, 1, outer) || !integer(info, 2, r) || !integer(info, 3, inner) || !view(info, 4, o)) return;
  if (!same_dtype(info.Env(), {&x, &o})) return;
  if (x.dtype == DType::I32) { fail(info.Env(), "sumSquares needs float32 or float64"); return; }
  if (outer < 0 || r < 0 || inner < 0 || outer * r * inner > x.length || outer * inner > o.length) { fail(info.Env(), "sumSquares: sizes out of range"); return; }
  cv::sum_squares(x, outer, r, inner, o);
}

/**
 * gemmStridedBatched(flags, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff,
 * ldc, strideC, batch); flags bit 0 = transA, bit 1 = transB. gemm is the same with batch 1.
 */
void GemmStridedBatched(const Napi::CallbackInfo& info) {
  int64_t flags, m, n, k, aOff, lda, sa, bOff, ldb, sb, cOff, ldc, sc, batch; double alpha, beta; View a, b, c;
  if (!integer(info, 0, flags) || !integer(info, 1, m) || !integer(info, 2, n) || !integer(info, 3, k) ||
      !number(info, 4, alpha) || !view(info, 5, a) || !integer(info, 6, aOff) || !integer(info, 7, lda) ||
      !integer(info, 8, sa) || !view(info, 9, b) || !integer(info, 10, bOff) || !integer(info, 11, ldb) ||
      !integer(info, 12, sb) || !number(info, 13, beta) || !view(info, 14, c) || !integer(info, 15, cOff) ||
      !integer(info, 16, ldc) || !integer(info, 17, sc) || !integer(info, 18, batch)) return;
  if (!same_dtype(info.Env(), {&a, &b, &c})) return;
  const bool ta = flags & 1, tb = flags & 2;
  if (c.dtype == DType::F32) {
    cv::gemm_batched<float>(ta, tb, m, n, k, static_cast<float>(alpha), static_cast<const float*>(a.data) + aOff, lda, sa,
      static_cast<const float*>(b.data) + bOff, ldb, sb, static_cast<float>(beta), static_cast<float*>(c.data) + cOff, ldc,
      sc, batch);
  } else if (c.dtype == DType::F64) {
    cv::gemm_batched<double>(ta, tb, m, n, k, alpha, static_cast<const double*>(a.data) + aOff, lda, sa,
      static_cast<const double*>(b.data) + bOff, ldb, sb, beta, static_cast<double*>(c.data) + cOff, ldc, sc, batch);
  } else {
    fail(info.Env(), "gemm needs float32 or float64");
  }
}

/** syrk(trans, n, k, alpha, a, aOff, lda, c, cOff, ldc): C = alpha·op(A)·op(A)ᵀ (cv::syrk). */
void Syrk(const Napi::CallbackInfo& info) {
  int64_t trans, n, k, aOff, lda, cOff, ldc; double alpha; View a, c;
  if (!integer(info, 0, trans) || !integer(info, 1, n) || !integer(info, 2, k) || !number(info, 3, alpha) ||
      !view(info, 4, a) || !integer(info, 5, aOff) || !integer(info, 6, lda) || !view(info, 7, c) ||
      !integer(info, 8, cOff) || !integer(info, 9, ldc)) return;
  if (!same_dtype(info.Env(), {&a, &c})) return;
  if (c.dtype == DType::F32) {
    cv::syrk<float>(trans != 0, n, k, static_cast<float>(alpha), static_cast<const float*>(a.data) + aOff, lda,
      static_cast<float*>(c.data) + cOff, ldc);
  } else if (c.dtype == DType::F64) {
    cv::syrk<double>(trans != 0, n, k, alpha, static_cast<const double*>(a.data) + aOff, lda,
      static_cast<double*>(c.data) + cOff, ldc);
  } else {
    fail(info.Env(), "syrk needs float32 or float64");
  }
}

/**
 * gemmSumSquares(transB, batch, m, n, k, a, aOff, strideA, b, bOff, ldb, out, outOff[, bias, biasOff])
 * (cv::gemm_sum_squares; bias null or absent for none, else n values at biasOff).
 */
void GemmSumSquares(const Napi::CallbackInfo& info) {
  int64_t tb, batch, m, n, k, aOff, sa, bOff, ldb, oOff, biasOff = 0; View a, b, o, bias;
  if (!integer(info, 0, tb) || !integer(info, 1, batch) || !integer(info, 2, m) || !integer(info, 3, n) ||
      !integer(info, 4, k) || !view(info, 5, a) || !integer(info, 6, aOff) || !integer(info, 7, sa) ||
      !view(info, 8, b) || !integer(info, 9, bOff) || !integer(info, 10, ldb) || !view(info, 11, o) ||
      !integer(info, 12, oOff)) return;
  const bool has_bias = info.Length() > 13 && !info[13].IsNull() && !info[13].IsUndefined();
  if (has_bias && (!view(info, 13, bias) || !integer(info, 14, biasOff))) return;
  if (!same_dtype(info.Env(), {&a, &b, &o})) return;
  if (has_bias && bias.dtype != o.dtype) { fail(info.Env(), "gemmSumSquares: the bias must share the operands' dtype"); return; }
  if (has_bias && (biasOff < 0 || n < 0 || biasOff + n > bias.length)) { fail(info.Env(), "gemmSumSquares: the bias is out of range"); return; }
  if (o.dtype == DType::F32) {
    cv::gemm_sum_squares<float>(tb != 0, batch, m, n, k, static_cast<const float*>(a.data) + aOff, sa,
      static_cast<const float*>(b.data) + bOff, ldb, static_cast<float*>(o.data) + oOff,
      has_bias ? static_cast<const float*>(bias.data) + biasOff : nullptr);
  } else if (o.dtype == DType::F64) {
    cv::gemm_sum_squares<double>(tb != 0, batch, m, n, k, static_cast<const double*>(a.data) + aOff, sa,
      static_cast<const double*>(b.data) + bOff, ldb, static_cast<double*>(o.data) + oOff,
      has_bias ? static_cast<const double*>(bias.data) + biasOff : nullptr);
  } else {
    fail(info.Env(), "gemmSumSquares needs float32 or float64");
  }
}

/**
 * gemmScaled(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, s, sOff, inner,
 * outerStride, innerStride) (cv::gemm_scaled: C = (op(A)·op(B)) ⊙ S, row r of C scaled by the n
 * values at sOff + (r / inner)·outerStride + (r % inner)·innerStride).
 */
void GemmScaled(const Napi::CallbackInfo& info) {
  int64_t ta, tb, m, n, k, aOff, lda, bOff, ldb, cOff, ldc, sOff, inner, os, is; View a, b, c, sc;
  if (!integer(info, 0, ta) || !integer(info, 1, tb) || !integer(info, 2, m) || !integer(info, 3, n) || !integer(info, 4, k) ||
      !view(info, 5, a) || !integer(info, 6, aOff) || !integer(info, 7, lda) || !view(info, 8, b) || !integer(info, 9, bOff) ||
      !integer(info, 10, ldb) || !view(info, 11, c) || !integer(info, 12, cOff) || !integer(info, 13, ldc) ||
      !view(info, 14, sc) || !integer(info, 15, sOff) || !integer(info, 16, inner) || !integer(info, 17, os) || !integer(info, 18, is)) return;
  if (!same_dtype(info.Env(), {&a, &b, &c, &sc})) return;
  if (m > 0 && n > 0) {
    const bool shape_ok = inner >= 1 && os >= 0 && is >= 0 && sOff >= 0;
    const int64_t last = shape_ok ? sOff + ((m - 1) / inner) * os + (std::min(m, inner) - 1) * is + n - 1 : -1;
    if (!shape_ok || last >= sc.length) { fail(info.Env(), "gemmScaled: the scale is out of range"); return; }
  }
  if (c.dtype == DType::F32) {
    cv::gemm_scaled<float>(ta != 0, tb != 0, m, n, k, static_cast<const float*>(a.data) + aOff, lda,
      static_cast<const float*>(b.data) + bOff, ldb, static_cast<float*>(c.data) + cOff, ldc,
      static_cast<const float*>(sc.data) + sOff, inner, os, is);
  } else if (c.dtype == DType::F64) {
    cv::gemm_scaled<double>(ta != 0, tb != 0, m, n, k, static_cast<const double*>(a.data) + aOff, lda,
      static_cast<const double*>(b.data) + bOff, ldb, static_cast<double*>(c.data) + cOff, ldc,
      static_cast<const double*>(sc.data) + sOff, inner, os, is);
  } else {
    fail(info.Env(), "gemmScaled needs float32 or float64");
  }
}

bool int32_view(const Napi::CallbackInfo& info, size_t i, View& out) {
  if (!view(info, i, out)) return false;
  if (out.dtype != DType::I32) return fail(info.Env(), "argument " + std::to_string(i) + " must be an Int32Array");
  return true;
}

/** gather(src, idx, nIdx, rowSize, out) / scatterAdd(src, idx, nIdx, rowSize, out). */
template <bool kScatter>
void Indexed(const Napi::CallbackInfo& info) {
  View src, idx, out; int64_t n_idx, row;
  if (!view(info, 0, src) || !int32_view(info, 1, idx) || !integer(info, 2, n_idx) || !integer(info, 3, row) || !view(info, 4, out)) return;
  if (!same_dtype(info.Env(), {&src, &out})) return;
  if (n_idx < 0 || row < 0 || n_idx > idx.length || n_idx * row > (kScatter ? src.length : out.length)) { fail(info.Env(), "gather/scatterAdd: sizes out of range"); return; }
  const int32_t* ix = static_cast<const int32_t*>(idx.data);
  const int64_t table_rows = row > 0 ? (kScatter ? out.length : src.length) / row : 0;
  for (int64_t i = 0; i < n_idx && row > 0; i++) {
    if (ix[i] < 0 || ix[i] >= table_rows) { fail(info.Env(), "gather/scatterAdd: index out of range"); return; }
  }
  if (kScatter) cv::scatter_add(src, ix, n_idx, row, out);
  else cv::gather(src, ix, n_idx, row, out);
}

/** softmax(x, rows, cols, out, log). */
void Softmax(const Napi::CallbackInfo& info) {
  View x, o; int64_t rows, cols;
  if (!view(info, 0, x) || !integer(info, 1, rows) || !integer(info, 2, cols) || !view(info, 3, o)) return;
  if (!same_dtype(info.Env(), {&x, &o}) || x.dtype == DType::I32) { fail(info.Env(), "softmax needs float operands"); return; }
  if (rows < 0 || cols < 0 || rows * cols > x.length || rows * cols > o.length) { fail(info.Env(), "softmax: sizes out of range"); return; }
  cv::softmax(x, rows, cols, o, info.Length() > 4 && info[4].ToBoolean().Value());
}

/** softmaxJvp(y, t, outer, k, inner, cols, out). */
void SoftmaxJvp(const Napi::CallbackInfo& info) {
  View y, t, o; int64_t outer, k, inner, cols;
  if (!view(info, 0, y) || !view(info, 1, t) || !integer(info, 2, outer) || !integer(info, 3, k) || !integer(info, 4, inner) ||
      !integer(info, 5, cols) || !view(info, 6, o)) return;
  if (!same_dtype(info.Env(), {&y, &t, &o}) || y.dtype == DType::I32) { fail(info.Env(), "softmaxJvp needs float operands"); return; }
  if (outer < 0 || k < 0 || inner < 0 || cols < 0) { fail(info.Env(), "softmaxJvp: sizes out of range"); return; }
  const int64_t rows = outer * inner * cols, all = rows * k;
  if (rows > y.length || all > t.length || all > o.length) { fail(info.Env(), "softmaxJvp: sizes out of range"); return; }
  cv::softmax_jvp(y, t, outer, k, inner, cols, o);
}

/** crossEntropy(z, labels, rows, cols, out). */
void CrossEntropy(const Napi::CallbackInfo& info) {
  View z, lab, o; int64_t rows, cols;
  if (!view(info, 0, z) || !int32_view(info, 1, lab) || !integer(info, 2, rows) || !integer(info, 3, cols) || !view(info, 4, o)) return;
  if (!same_dtype(info.Env(), {&z, &o}) || z.dtype == DType::I32) { fail(info.Env(), "crossEntropy needs float operands"); return; }
  if (rows < 0 || cols < 0 || rows * cols > z.length || rows > o.length || rows > lab.length) { fail(info.Env(), "crossEntropy: sizes out of range"); return; }
  const int32_t* l = static_cast<const int32_t*>(lab.data);
  for (int64_t r = 0; r < rows; r++) if (l[r] < 0 || l[r] >= cols) { fail(info.Env(), "crossEntropy: label out of range"); return; }
  cv::cross_entropy(z, l, rows, cols, o);
}

/** tanhGrad(y, g, out, n). */
void TanhGrad(const Napi::CallbackInfo& info) {
  View y, g, o; int64_t n;
  if (!view(info, 0, y) || !view(info, 1, g) || !view(info, 2, o) || !integer(info, 3, n)) return;
  if (!same_dtype(info.Env(), {&y, &g, &o}) || y.dtype == DType::I32) { fail(info.Env(), "tanhGrad needs float operands"); return; }
  if (n < 0 || n > y.length || n > g.length || n > o.length) { fail(info.Env(), "tanhGrad: n out of range"); return; }
  cv::tanh_grad(y, g, o, n);
}

/** setThreads(n, minFlops): n ≥ 1 threads (0: the default, physical cores); returns the count in force. */
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int64_t n; double flops;
  if (!integer(info, 0, n) || !number(info, 1, flops)) return info.Env().Undefined();
  if (n < 0 || n > cv::kMaxThreads || !(flops >= 0)) { fail(info.Env(), "setThreads: out of range"); return info.Env().Undefined(); }
  cv::set_threads(n == 0 ? cv::default_threads() : static_cast<int>(n));
  cv::set_thread_min_flops(flops);
  return Napi::Number::New(info.Env(), cv::threads());
}

/** Whether rows×cols with leading dimension ld at off fits in v (the TypeScript side checked it already). */
bool fits(const View& v, int64_t off, int64_t rows, int64_t cols, int64_t ld) {
  if (off < 0 || rows < 0 || cols < 0 || ld < std::max<int64_t>(1, cols)) return false;
  return rows == 0 || cols == 0 || off + (rows - 1) * ld + cols <= v.length;
}

/** potrf(a, aOff, n, lda, valueOut): −1 on success, else the failing pivot (its value in valueOut[0]). */
Napi::Value Potrf(const Napi::CallbackInfo& info) {
  View a, val; int64_t off, n, lda;
  if (!view(info, 0, a) || !integer(info, 1, off) || !integer(info, 2, n) || !integer(info, 3, lda) || !view(info, 4, val)) return info.Env().Undefined();
  if (!fits(a, off, n, n, lda) || val.dtype != DType::F64 || val.length < 1) { fail(info.Env(), "potrf: sizes out of range"); return info.Env().Undefined(); }
  double value = 0;
  int64_t rc;
  try {
    if (a.dtype == DType::F32) rc = cv::potrf<float>(n, static_cast<float*>(a.data) + off, lda, &value);
    else if (a.dtype == DType::F64) rc = cv::potrf<double>(n, static_cast<double*>(a.data) + off, lda, &value);
    else { fail(info.Env(), "potrf needs float32 or float64"); return info.Env().Undefined(); }
  } catch (const std::bad_alloc&) {
    Napi::Error::New(info.Env(), "curvature_native: potrf: out of memory for its scratch").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  static_cast<double*>(val.data)[0] = value;
  return Napi::Number::New(info.Env(), static_cast<double>(rc));
}

/** trsm(flags, m, n, alpha, a, aOff, lda, b, bOff, ldb); flags bit 0 upper, bit 1 trans, bit 2 unit diagonal. */
void Trsm(const Napi::CallbackInfo& info) {
  int64_t flags, m, n, aOff, lda, bOff, ldb; double alpha; View a, b;
  if (!integer(info, 0, flags) || !integer(info, 1, m) || !integer(info, 2, n) || !number(info, 3, alpha) ||
      !view(info, 4, a) || !integer(info, 5, aOff) || !integer(info, 6, lda) || !view(info, 7, b) ||
      !integer(info, 8, bOff) || !integer(info, 9, ldb)) return;
  if (!same_dtype(info.Env(), {&a, &b})) return;
  if (!fits(a, aOff, m, m, lda) || !fits(b, bOff, m, n, ldb)) { fail(info.Env(), "trsm: sizes out of range"); return; }
  const bool up = flags & 1, tr = flags & 2, unit = flags & 4;
  try {
    if (a.dtype == DType::F32) cv::trsm<float>(up, tr, unit, m, n, alpha, static_cast<const float*>(a.data) + aOff, lda, static_cast<float*>(b.data) + bOff, ldb);
    else if (a.dtype == DType::F64) cv::trsm<double>(up, tr, unit, m, n, alpha, static_cast<const double*>(a.data) + aOff, lda, static_cast<double*>(b.data) + bOff, ldb);
    else fail(info.Env(), "trsm needs float32 or float64");
  } catch (const std::bad_alloc&) {
    Napi::Error::New(info.Env(), "curvature_native: trsm: out of memory for its scratch").ThrowAsJavaScriptException();
  }
}

/** syev(n, a, aOff, lda, w, wOff, vectors): 0, −1 (non-finite entry), −2 (no convergence), −3 (out of memory). */
Napi::Value Syev(const Napi::CallbackInfo& info) {
  int64_t n, aOff, lda, wOff; View a, w;
  if (!integer(info, 0, n) || !view(info, 1, a) || !integer(info, 2, aOff) || !integer(info, 3, lda) ||
      !view(info, 4, w) || !integer(info, 5, wOff)) return info.Env().Undefined();
  if (!same_dtype(info.Env(), {&a, &w})) return info.Env().Undefined();
  if (!fits(a, aOff, n, n, lda) || !fits(w, wOff, 1, n, std::max<int64_t>(1, n))) { fail(info.Env(), "syev: sizes out of range"); return info.Env().Undefined(); }
  const bool vec = info.Length() > 6 && info[6].ToBoolean().Value();
  int rc;
  try {
    if (a.dtype == DType::F32) rc = cv::syev<float>(n, static_cast<float*>(a.data) + aOff, lda, static_cast<float*>(w.data) + wOff, vec);
    else if (a.dtype == DType::F64) rc = cv::syev<double>(n, static_cast<double*>(a.data) + aOff, lda, static_cast<double*>(w.data) + wOff, vec);
    else { fail(info.Env(), "syev needs float32 or float64"); return info.Env().Undefined(); }
  } catch (const std::bad_alloc&) {
    rc = -3;  // the scratch (≈ 2–2.5·n² doubles) could not be allocated; nothing was written
  }
  return Napi::Number::New(info.Env(), rc);
}

/**
 * im2col(x, g, cols) / col2im(cols, g, x) / maxPoolArgmax(x, g, argmax): g an Int32Array of 14 (Im2colGeometry's order). The
 * geometry is checked in TypeScript; here again that it is positive and that both buffers hold it.
 */
template <int Kind>  // 0 im2col, 1 col2im, 2 maxPoolArgmax
void Im2colFn(const Napi::CallbackInfo& info) {
  constexpr bool Adjoint = Kind == 1;
  View src, gv, dst;
  if (!view(info, 0, src) || !view(info, 1, gv) || !view(info, 2, dst)) return;
  if (gv.dtype != DType::I32 || gv.length < 14) { fail(info.Env(), "im2col: geometry must be an Int32Array of 14"); return; }
  if (Kind == 2 ? dst.dtype != DType::I32 : !same_dtype(info.Env(), {&src, &dst})) { if (Kind == 2) fail(info.Env(), "maxPoolArgmax: argmax must be an Int32Array"); return; }
  if (src.dtype == DType::I32) { fail(info.Env(), "im2col/col2im/maxPoolArgmax need float32 or float64"); return; }
  const int32_t* a = static_cast<const int32_t*>(gv.data);
  const cv::Im2col g{a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]};
  for (int k = 0; k < 14; k++) if (a[k] < 0) { fail(info.Env(), "im2col: negative geometry"); return; }
  if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1) { fail(info.Env(), "im2col: kernel, stride, dilation must be ≥ 1"); return; }
  // Every tap read or written stays inside the image: outH, outW must not exceed the geometry's.
  if ((g.oh - 1) * g.sh + (g.kh - 1) * g.dh > g.h + 2 * g.ph - 1 || (g.ow - 1) * g.sw + (g.kw - 1) * g.dw > g.w + 2 * g.pw - 1) {
    fail(info.Env(), "im2col: output size exceeds the geometry"); return;
  }
  const int64_t image = g.n * g.c * g.h * g.w, cols = g.n * g.oh * g.ow * g.c * g.kh * g.kw;
  if (Kind == 2) {
    if (src.length < image || dst.length < g.n * g.c * g.oh * g.ow || image > INT32_MAX) { fail(info.Env(), "maxPoolArgmax: buffers do not fit the geometry"); return; }
    cv::maxpool_argmax(src, g, static_cast<int32_t*>(dst.data));
    return;
  }
  if ((Adjoint ? src.length < cols || dst.length < image : src.length < image || dst.length < cols)) {
    fail(info.Env(), "im2col: buffers smaller than the geometry"); return;
  }
  if (Adjoint) cv::col2im(src, g, dst);
  else cv::im2col(src, g, dst);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("im2col", Napi::Function::New(env, Im2colFn<0>));
  exports.Set("col2im", Napi::Function::New(env, Im2colFn<1>));
  exports.Set("maxPoolArgmax", Napi::Function::New(env, Im2colFn<2>));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setKernelCap", Napi::Function::New(env, SetKernelCap));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("cast", Napi::Function::New(env, Cast));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("mulAdd", Napi::Function::New(env, MulAdd));
  exports.Set("where", Napi::Function::New(env, Where));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("gemmStridedBatched", Napi::Function::New(env, GemmStridedBatched));
  exports.Set("syrk", Napi::Function::New(env, Syrk));
  exports.Set("gemmSumSquares", Napi::Function::New(env, GemmSumSquares));
  exports.Set("gemmScaled", Napi::Function::New(env, GemmScaled));
  exports.Set("gather", Napi::Function::New(env, Indexed<false>));
  exports.Set("scatterAdd", Napi::Function::New(env, Indexed<true>));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxJvp", Napi::Function::New(env, SoftmaxJvp));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy));
  exports.Set("tanhGrad", Napi::Function::New(env, TanhGrad));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("potrf", Napi::Function::New(env, Potrf));
  exports.Set("trsm", Napi::Function::New(env, Trsm));
  exports.Set("syev", Napi::Function::New(env, Syev));
  return exports;
}

}  // namespace

NODE_API_MODULE(curvature_native, Init)
