// Elementwise kernels: one template per kernel over the storage type, values computed in double.
#include "elementwise.h"

#include "cpu.h"

#include <algorithm>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace cv {
namespace {

/** JavaScript's ToInt32: NaN/±Inf → 0, else the integer part modulo 2^32 as a signed value. */
inline int32_t to_int32(double x) {
  if (!std::isfinite(x)) return 0;
  if (x >= -2147483648.0 && x < 2147483648.0) return static_cast<int32_t>(x);  // truncates
  double t = std::fmod(std::trunc(x), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

/** Stores a double into T with the destination's conversion. */
template <typename T> inline T store(double v) { return static_cast<T>(v); }
template <> inline int32_t store<int32_t>(double v) { return to_int32(v); }

inline double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

inline double apply(Unary op, double x) {
  switch (op) {
    case Unary::Neg: return -x;
    case Unary::Exp: return std::exp(x);
    case Unary::Log: return std::log(x);
    case Unary::Tanh: return std::tanh(x);
    case Unary::Sigmoid: return sigmoid(x);
    case Unary::Sqrt: return std::sqrt(x);
    case Unary::Abs: return std::fabs(x);
    case Unary::Sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case Unary::Square: return x * x;
    case Unary::Reciprocal: return 1 / x;
    case Unary::Log1p: return std::log1p(x);
    case Unary::Expm1: return std::expm1(x);
    case Unary::Softplus: return softplus(x);
    case Unary::Erf: return std::erf(x);
    case Unary::Sin: return std::sin(x);
    case Unary::Cos: return std::cos(x);
    case Unary::Relu: return x > 0 ? x : 0;
    case Unary::Step: return x > 0 ? 1 : 0;
    case Unary::IsFinite: return std::isfinite(x) ? 1 : 0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

inline double apply(Binary op, double a, double b) {
  switch (op) {
    case Binary::Add: return a + b;
    case Binary::Sub: return a - b;
    case Binary::Mul: return a * b;
    case Binary::Div: return a / b;
    case Binary::Pow: return std::pow(a, b);
    case Binary::Max: return a >= b || std::isnan(a) ? a : b;
    case Binary::Min: return a <= b || std::isnan(a) ? a : b;
    case Binary::Gt: return a > b ? 1 : 0;
    case Binary::Ge: return a >= b ? 1 : 0;
    case Binary::Lt: return a < b ? 1 : 0;
    case Binary::Le: return a <= b ? 1 : 0;
    case Binary::Eq: return a == b ? 1 : 0;
    case Binary::Ne: return a != b ? 1 : 0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

/** JS Math.pow differs from C pow where the result is NaN in JS: 1 ** ±Inf and 1 ** NaN. */
inline double js_pow(double a, double b) {
  if (std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(b) && std::fabs(a) == 1) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(a, b);
}

template <typename T> T* ptr(const View& v) { return static_cast<T*>(v.data); }

template <typename T>
CV_SIMD_CLONES void unary_t(Unary op, const T* x, T* out, int64_t n) {
  switch (op) {  // the hot ops get their own loops
    case Unary::Neg: for (int64_t i = 0; i < n; i++) out[i] = store<T>(-static_cast<double>(x[i])); return;
    case Unary::Relu: for (int64_t i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : T(0); return;
    case Unary::Square: for (int64_t i = 0; i < n; i++) out[i] = store<T>(static_cast<double>(x[i]) * x[i]); return;
    // x − x is 0 for every finite x and NaN for ±Inf and NaN (an int32 is always finite).
    case Unary::IsFinite: for (int64_t i = 0; i < n; i++) out[i] = x[i] - x[i] == T(0) ? T(1) : T(0); return;
    default: for (int64_t i = 0; i < n; i++) out[i] = store<T>(apply(op, static_cast<double>(x[i]))); return;
  }
}

/** One row of a binary op: out[i] = f(a[i·sa], b[i·sb]), the contiguous and broadcast cases as plain loops. */
template <typename T, typename F>
CV_SIMD_CLONES void binary_row(int64_t len, const T* pa, int64_t sa, const T* pb, int64_t sb, T* po, F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < len; i++) po[i] = f(pa[i], pb[i]);
  } else if (sa == 1 && sb == 0) {
    const T vb = pb[0];
    for (int64_t i = 0; i < len; i++) po[i] = f(pa[i], vb);
  } else if (sa == 0 && sb == 1) {
    const T va = pa[0];
    for (int64_t i = 0; i < len; i++) po[i] = f(va, pb[i]);
  } else {
    for (int64_t i = 0; i < len; i++) po[i] = f(pa[i * sa], pb[i * sb]);
  }
}

template <typename T, typename F>
void binary_rows(const Strided& s, const T* a, const T* b, T* out, F f) {
  const int64_t base[3] = {0, 0, 0};
  for_each_row(s, base, [&](const int64_t* off, int64_t len, const int64_t* st) {
    binary_row(len, a + off[0], st[0], b + off[1], st[1], out + off[2], f);
  });
}

template <typename T>
void binary_t(Binary op, const Strided& s, const T* a, const T* b, T* out) {
  auto d = [](T v) { return static_cast<double>(v); };
  switch (op) {
    case Binary::Add: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(d(x) + d(y)); });
    case Binary::Sub: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(d(x) - d(y)); });
    case Binary::Mul: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(d(x) * d(y)); });
    case Binary::Div: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(d(x) / d(y)); });
    case Binary::Pow: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(js_pow(d(x), d(y))); });
    default: return binary_rows(s, a, b, out, [&](T x, T y) { return store<T>(apply(op, d(x), d(y))); });
  }
}

/**
 * One row of mul_add: each product rounded to T, then their sum (so float32 matches mul, mul, add
 * bit for bit; the portable sources are built without FMA contraction). The contiguous case and
 * the tangent-times-broadcast-row case of the batched rules as plain loops the compiler vectorises.
 */
template <typename T>
CV_SIMD_CLONES void mul_add_row(int64_t len, const T* pa, int64_t sa, const T* pb, int64_t sb, const T* pc, int64_t sc,
  const T* pd, int64_t sd, T* po) {
  if (sa == 1 && sb == 1 && sc == 1 && sd == 1) {
    for (int64_t i = 0; i < len; i++) po[i] = static_cast<T>(static_cast<T>(pa[i] * pb[i]) + static_cast<T>(pc[i] * pd[i]));
  } else if (sa == 1 && sb == 1 && sc == 1 && sd == 0) {
    const T vd = pd[0];
    for (int64_t i = 0; i < len; i++) po[i] = static_cast<T>(static_cast<T>(pa[i] * pb[i]) + static_cast<T>(pc[i] * vd));
  } else {
    for (int64_t i = 0; i < len; i++) {
      po[i] = static_cast<T>(static_cast<T>(pa[i * sa] * pb[i * sb]) + static_cast<T>(pc[i * sc] * pd[i * sd]));
    }
  }
}

template <typename T>
void mul_add_t(const Strided& s, const T* a, const T* b, const T* c, const T* d, T* out) {
  const int64_t base[5] = {0, 0, 0, 0, 0};
  for_each_row(s, base, [&](const int64_t* off, int64_t len, const int64_t* st) {
    mul_add_row(len, a + off[0], st[0], b + off[1], st[1], c + off[2], st[2], d + off[3], st[3], out + off[4]);
  });
}

template <typename T>
void where_t(const Strided& s, const T* c, const T* a, const T* b, T* out) {
  const int64_t base[4] = {0, 0, 0, 0};
  for_each_row(s, base, [&](const int64_t* off, int64_t len, const int64_t* st) {
    const T* pc = c + off[0];
    const T* pa = a + off[1];
    const T* pb = b + off[2];
    T* po = out + off[3];
    for (int64_t i = 0; i < len; i++) po[i] = pc[i * st[0]] != 0 ? pa[i * st[1]] : pb[i * st[2]];
  });
}

#if defined(__x86_64__) && defined(__GNUC__)
#define CV_HAVE_AVX2_TRANSPOSE 1
/** 8×8 tile of 4-byte elements: d[c·ds + r] = s[r·ss + c] (in-register unpack/shuffle/permute: bits moved, never changed). */
__attribute__((target("avx2"))) void transpose8x8_b32(const float* s, int64_t ss, float* d, int64_t ds) {
  __m256 r[8], t[8];
  for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(s + k * ss);
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int h = 0; h < 8; h += 4) {
    r[h + 0] = _mm256_shuffle_ps(t[h + 0], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[h + 1] = _mm256_shuffle_ps(t[h + 0], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; c++) {
    _mm256_storeu_ps(d + c * ds, _mm256_permute2f128_ps(r[c], r[c + 4], 0x20));
    _mm256_storeu_ps(d + (c + 4) * ds, _mm256_permute2f128_ps(r[c], r[c + 4], 0x31));
  }
}

/** 4×4 tile of 8-byte elements: d[c·ds + r] = s[r·ss + c]. */
__attribute__((target("avx2"))) void transpose4x4_b64(const double* s, int64_t ss, double* d, int64_t ds) {
  const __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + ss), r2 = _mm256_loadu_pd(s + 2 * ss), r3 = _mm256_loadu_pd(s + 3 * ss);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(d + ds, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(d + 2 * ds, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(d + 3 * ds, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#endif

/** Scalar tile: dst[i·drs + j] = src[i + j·scs] for i in [i0, ie), j in [j0, je). */
template <typename T>
inline void transpose_scalar(int64_t i0, int64_t ie, int64_t j0, int64_t je, const T* src, int64_t scs, T* dst, int64_t drs) {
  for (int64_t i = i0; i < ie; i++) {
    const T* s = src + i;
    T* d = dst + i * drs;
    for (int64_t j = j0; j < je; j++) d[j] = s[j * scs];
  }
}

/**
 * Transposing block: dst[i·drs + j] = src[i + j·scs] for i < rows, j < cols (source contiguous
 * along i, destination along j), by tiles of 64×64 elements (the lines both sides touch stay in
 * L1 while a tile is copied, and a short side — a [100352, 32] block's 32 — is covered whole, so
 * no line is fetched twice), each by 8×8 (4-byte) or 4×4 (8-byte) register transposes where the
 * CPU has AVX2: 2–3× the element-by-element loop, which gathered one element per load.
 */
template <typename T>
void transpose_block(int64_t rows, int64_t cols, const T* src, int64_t scs, T* dst, int64_t drs) {
  constexpr int64_t kTile = 64;
#ifdef CV_HAVE_AVX2_TRANSPOSE
  constexpr int64_t R = sizeof(T) == 4 ? 8 : sizeof(T) == 8 ? 4 : 0;
  const bool simd = R > 0 && gemm_isa() >= Isa::Avx2;
#else
  constexpr int64_t R = 0;
  const bool simd = false;
#endif
  for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
    const int64_t ie = std::min(rows, i0 + kTile);
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      const int64_t je = std::min(cols, j0 + kTile);
      if (!simd) { transpose_scalar(i0, ie, j0, je, src, scs, dst, drs); continue; }
#ifdef CV_HAVE_AVX2_TRANSPOSE
      const int64_t iv = i0 + (ie - i0) / R * R, jv = j0 + (je - j0) / R * R;
      for (int64_t i = i0; i < iv; i += R)
        for (int64_t j = j0; j < jv; j += R) {
          if constexpr (sizeof(T) == 4) {
            transpose8x8_b32(reinterpret_cast<const float*>(src + i + j * scs), scs, reinterpret_cast<float*>(dst + i * drs + j), drs);
          } else if constexpr (sizeof(T) == 8) {
            transpose4x4_b64(reinterpret_cast<const double*>(src + i + j * scs), scs, reinterpret_cast<double*>(dst + i * drs + j), drs);
          }
        }
      transpose_scalar(i0, iv, jv, je, src, scs, dst, drs);
      transpose_scalar(iv, ie, j0, je, src, scs, dst, drs);
#endif
    }
  }
}

/** A rows×len block with per-axis strides (outer axis ss2/ds2, inner ss/ds). */
template <typename T>
void copy_block(int64_t rows, int64_t len, const T* ps, int64_t ss2, int64_t ss, T* pd, int64_t ds2, int64_t ds) {
  if (ss == 1 && ds == 1) {
    for (int64_t r = 0; r < rows; r++) std::memmove(pd + r * ds2, ps + r * ss2, static_cast<size_t>(len) * sizeof(T));
  } else if (ds == 1 && ss2 == 1 && rows >= 4 && len >= 4) {
    transpose_block(rows, len, ps, ss, pd, ds2);
  } else if (ss == 0 && ds == 1) {
    for (int64_t r = 0; r < rows; r++) std::fill(pd + r * ds2, pd + r * ds2 + len, ps[r * ss2]);
  } else if (ds == 1) {
    for (int64_t r = 0; r < rows; r++) {
      const T* s = ps + r * ss2;
      T* d = pd + r * ds2;
      for (int64_t i = 0; i < len; i++) d[i] = s[i * ss];
    }
  } else {
    for (int64_t r = 0; r < rows; r++) {
      const T* s = ps + r * ss2;
      T* d = pd + r * ds2;
      for (int64_t i = 0; i < len; i++) d[i * ds] = s[i * ss];
    }
  }
}

/**
 * Strided copy by 2-d blocks of the two innermost (coalesced) axes: one odometer step per block
 * rather than per row, so short rows (a transpose's inner axis of 3, 4, 9 …) cost no bookkeeping;
 * a block whose axes are swapped between source and destination goes by cache tiles
 * (transpose_block), contiguous rows by memcpy, a broadcast source by fill.
 */
template <typename T>
void copy_t(const Strided& s, const T* src, int64_t src_off, T* dst, int64_t dst_off) {
  const std::size_t rank = s.shape.size();
  for (int64_t d : s.shape) if (d == 0) return;
  if (rank <= 1) {
    const int64_t len = rank ? s.shape[0] : 1, ss = rank ? s.strides[0][0] : 0, ds = rank ? s.strides[1][0] : 0;
    copy_block<T>(1, len, src + src_off, 0, ss, dst + dst_off, 0, ds);
    return;
  }
  const int64_t len = s.shape[rank - 1], rows = s.shape[rank - 2];
  const int64_t ss = s.strides[0][rank - 1], ds = s.strides[1][rank - 1];
  const int64_t ss2 = s.strides[0][rank - 2], ds2 = s.strides[1][rank - 2];
  // Let the inner axis be the destination's contiguous one: a source contiguous along the inner
  // axis then goes by transpose_block's tiles too (writing a stride-ds column per row instead
  // touches every destination line once per row: measured 5–7× slower for [32, 100352] → [100352, 32]).
  const bool swap = ds != 1 && ds2 == 1;
  auto block = [&](const T* ps, T* pd) {
    if (swap) copy_block<T>(len, rows, ps, ss, ss2, pd, ds, ds2);
    else copy_block<T>(rows, len, ps, ss2, ss, pd, ds2, ds);
  };
  if (rank == 2) { block(src + src_off, dst + dst_off); return; }
  if (rank == 3 && ss == 1 && ds == 1) {
    // Rows contiguous on both sides under an outer axis (moving an axis: [A, B, L] ↔ [B, A, L]):
    // by 2-d tiles of outer steps × rows, about 256 KB of either side each, so that both sides'
    // lines stay in cache while the tile is copied. In plain order (every row of one outer step,
    // then the next) one side strides across the whole array once per outer step when the outer
    // axis is its long one (measured: a [64, 2500, 16] float64 axis move at 8 GB/s).
    const int64_t outer = s.shape[0], so = s.strides[0][0], dso = s.strides[1][0];
    const int64_t pairs = std::max<int64_t>(1, (int64_t{256} << 10) / static_cast<int64_t>(sizeof(T) * len));
    const int64_t side = std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(static_cast<double>(pairs))));
    const int64_t tile_r = rows <= side ? rows : outer <= side ? std::max<int64_t>(1, pairs / outer) : side;
    const int64_t tile_o = std::max<int64_t>(1, pairs / tile_r);
    for (int64_t r0 = 0; r0 < rows; r0 += tile_r) {
      const int64_t nr = std::min(tile_r, rows - r0);
      for (int64_t o0 = 0; o0 < outer; o0 += tile_o)
        for (int64_t o = o0; o < std::min(outer, o0 + tile_o); o++)
          copy_block<T>(nr, len, src + src_off + o * so + r0 * ss2, ss2, 1, dst + dst_off + o * dso + r0 * ds2, ds2, 1);
    }
    return;
  }
  Strided outer;
  outer.shape.assign(s.shape.begin(), s.shape.end() - 2);
  outer.strides = {std::vector<int64_t>(s.strides[0].begin(), s.strides[0].end() - 2),
                   std::vector<int64_t>(s.strides[1].begin(), s.strides[1].end() - 2)};
  const int64_t base[2] = {src_off, dst_off};
  for_each_row(outer, base, [&](const int64_t* off, int64_t n, const int64_t* st) {
    for (int64_t k = 0; k < n; k++) block(src + off[0] + k * st[0], dst + off[1] + k * st[1]);
  });
}

inline double combine(Reduce op, double acc, double v) {
  if (op == Reduce::Sum) return acc + v;
  if (op == Reduce::Max) return v > acc || std::isnan(v) ? v : acc;
  return v < acc || std::isnan(v) ? v : acc;
}

/**
 * The minimum or maximum of a contiguous run, as the reference's sequential combine gives it: NaN
 * if any element is NaN, else the extreme value — and where that is a zero, the first zero's sign
 * (the sequential scan keeps the first of equal values). Eight independent lanes, so the loop
 * vectorises; the order does not matter for the value, and the two exceptions are settled after.
 */
template <typename T>
CV_SIMD_CLONES double extreme_run(bool is_min, const T* x, int64_t r) {
  constexpr int L = 8;
  const T init = is_min ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
  T acc[L];
  int nan[L] = {};
  for (int l = 0; l < L; l++) acc[l] = init;
  int64_t k = 0;
  for (; k + L <= r; k += L)
    for (int l = 0; l < L; l++) {
      const T v = x[k + l];
      nan[l] |= v != v;
      acc[l] = is_min ? (v < acc[l] ? v : acc[l]) : (v > acc[l] ? v : acc[l]);
    }
  for (; k < r; k++) {
    const T v = x[k];
    nan[0] |= v != v;
    acc[0] = is_min ? (v < acc[0] ? v : acc[0]) : (v > acc[0] ? v : acc[0]);
  }
  double m = is_min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (int l = 0; l < L; l++) {
    if (nan[l]) return std::numeric_limits<double>::quiet_NaN();
    m = is_min ? std::min<double>(m, acc[l]) : std::max<double>(m, acc[l]);
  }
  // The lanes start at the type's finite extreme, so a run of only +Inf (for min; −Inf for max), or
  // of nothing, or one whose extreme is that finite value itself, is settled by the plain scan.
  if (r == 0 || m == static_cast<double>(init)) {
    double a = is_min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < r; j++) a = is_min ? (x[j] < a ? x[j] : a) : (x[j] > a ? x[j] : a);
    return a;
  }
  if (m == 0)
    for (int64_t j = 0; j < r; j++)
      if (x[j] == 0) return static_cast<double>(x[j]);  // the first zero, with its sign
  return m;
}

/**
 * Accumulators per pass over the r rows of an axis reduction: inner is cut into blocks of this
 * many (8 KB of doubles, L1-resident while every row adds its segment), so the accumulators do
 * not stream through memory once per row. Each element still sums its r terms in order: the
 * blocking changes no bit.
 */
constexpr int64_t kInnerBlock = 1024;

/** Accumulates in double like the reference (one accumulator per output element). */
template <typename T>
CV_SIMD_CLONES void reduce_t(Reduce op, const T* x, int64_t outer, int64_t r, int64_t inner, T* out) {
  const double init = op == Reduce::Sum ? 0.0
    : op == Reduce::Max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  std::vector<double> acc(static_cast<size_t>(std::min<int64_t>(std::max<int64_t>(inner, 1), kInnerBlock)));
  for (int64_t o = 0; o < outer; o++) {
    const T* base = x + o * r * inner;
    if (inner == 1) {
      double a = init;
      if (op == Reduce::Sum) for (int64_t k = 0; k < r; k++) a += base[k];
      else if (std::is_floating_point<T>::value) a = extreme_run(op == Reduce::Min, base, r);
      else for (int64_t k = 0; k < r; k++) a = combine(op, a, base[k]);
      out[o] = store<T>(a);
      continue;
    }
    for (int64_t i0 = 0; i0 < inner; i0 += kInnerBlock) {
      const int64_t len = std::min(kInnerBlock, inner - i0);
      std::fill(acc.begin(), acc.begin() + len, init);
      for (int64_t k = 0; k < r; k++) {
        const T* row = base + k * inner + i0;
        if (op == Reduce::Sum) for (int64_t i = 0; i < len; i++) acc[i] += row[i];
        else for (int64_t i = 0; i < len; i++) acc[i] = combine(op, acc[i], row[i]);
      }
      for (int64_t i = 0; i < len; i++) out[o * inner + i0 + i] = store<T>(acc[i]);
    }
  }
}

/** Square then sum, in one pass: the square rounded to T (as unary square stores it), the sum in double. */
template <typename T>
CV_SIMD_CLONES void sum_squares_t(const T* x, int64_t outer, int64_t r, int64_t inner, T* out) {
  std::vector<double> acc(static_cast<size_t>(std::min<int64_t>(std::max<int64_t>(inner, 1), kInnerBlock)));
  for (int64_t o = 0; o < outer; o++) {
    const T* base = x + o * r * inner;
    for (int64_t i0 = 0; i0 < inner; i0 += kInnerBlock) {  // blocks of the accumulators, as reduce_t
      const int64_t len = std::min(kInnerBlock, inner - i0);
      std::fill(acc.begin(), acc.begin() + len, 0.0);
      for (int64_t k = 0; k < r; k++) {
        const T* row = base + k * inner + i0;
        for (int64_t i = 0; i < len; i++) {
          const T sq = row[i] * row[i];
          acc[i] += sq;
        }
      }
      for (int64_t i = 0; i < len; i++) out[o * inner + i0 + i] = store<T>(acc[i]);
    }
  }
}

template <typename S, typename D>
CV_SIMD_CLONES void cast_t(const S* s, D* d, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = store<D>(static_cast<double>(s[i]));
}

template <typename S>
void cast_from(const S* s, const View& dst, int64_t n) {
  switch (dst.dtype) {
    case DType::F32: return cast_t(s, ptr<float>(dst), n);
    case DType::F64: return cast_t(s, ptr<double>(dst), n);
    case DType::I32: return cast_t(s, ptr<int32_t>(dst), n);
  }
}

}  // namespace

// Dispatch on the (shared) dtype: T is bound by the lambda's argument type.
#define CV_DISPATCH(dt, CALL)                                        \
  switch (dt) {                                                       \
    case DType::F32: { using T = float; CALL; break; }                \
    case DType::F64: { using T = double; CALL; break; }               \
    case DType::I32: { using T = int32_t; CALL; break; }              \
  }

void fill(const View& buf, double value) {
  CV_DISPATCH(buf.dtype, { T v = store<T>(value); T* p = ptr<T>(buf); for (int64_t i = 0; i < buf.length; i++) p[i] = v; });
}

void cast(const View& src, const View& dst, int64_t n) {
  switch (src.dtype) {
    case DType::F32: return cast_from(ptr<float>(src), dst, n);
    case DType::F64: return cast_from(ptr<double>(src), dst, n);
    case DType::I32: return cast_from(ptr<int32_t>(src), dst, n);
  }
}

void exp_f64_lanes(const double* x, double* out, int64_t n) {
  switch (gemm_isa()) {
    case Isa::Avx512: return exp_f64_avx512(x, out, n);
    case Isa::Avx2: return exp_f64_avx2(x, out, n);
    default: for (int64_t i = 0; i < n; i++) out[i] = std::exp(x[i]);
  }
}

void unary(Unary op, const View& x, const View& out, int64_t n) {
  if (x.dtype == DType::F32) {  // exp, tanh, sigmoid: the SIMD path where the CPU has one
    const Isa isa = gemm_isa();
    if (isa == Isa::Avx512 && unary_f32_avx512(op, ptr<float>(x), ptr<float>(out), n)) return;
    if (isa == Isa::Avx2 && unary_f32_avx2(op, ptr<float>(x), ptr<float>(out), n)) return;
  }
  CV_DISPATCH(x.dtype, unary_t<T>(op, ptr<T>(x), ptr<T>(out), n));
}

void binary(Binary op, const Strided& s, const View& a, const View& b, const View& out) {
  const Strided c = coalesce(s);
  CV_DISPATCH(a.dtype, binary_t<T>(op, c, ptr<T>(a), ptr<T>(b), ptr<T>(out)));
}

void mul_add(const Strided& s, const View& a, const View& b, const View& c, const View& d, const View& out) {
  const Strided cs = coalesce(s);
  if (a.dtype == DType::F32) mul_add_t<float>(cs, ptr<float>(a), ptr<float>(b), ptr<float>(c), ptr<float>(d), ptr<float>(out));
  else mul_add_t<double>(cs, ptr<double>(a), ptr<double>(b), ptr<double>(c), ptr<double>(d), ptr<double>(out));
}

void where(const Strided& s, const View& c, const View& a, const View& b, const View& out) {
  const Strided cs = coalesce(s);
  CV_DISPATCH(a.dtype, where_t<T>(cs, ptr<T>(c), ptr<T>(a), ptr<T>(b), ptr<T>(out)));
}

void copy(const Strided& s, const View& src, int64_t src_off, const View& dst, int64_t dst_off) {
  const Strided c = coalesce(s);
  CV_DISPATCH(src.dtype, copy_t<T>(c, ptr<T>(src), src_off, ptr<T>(dst), dst_off));
}

void reduce(Reduce op, const View& x, int64_t outer, int64_t r, int64_t inner, const View& out) {
  CV_DISPATCH(x.dtype, reduce_t<T>(op, ptr<T>(x), outer, r, inner, ptr<T>(out)));
}

void sum_squares(const View& x, int64_t outer, int64_t r, int64_t inner, const View& out) {
  if (x.dtype == DType::F32) sum_squares_t<float>(ptr<float>(x), outer, r, inner, ptr<float>(out));
  else sum_squares_t<double>(ptr<double>(x), outer, r, inner, ptr<double>(out));
}

}  // namespace cv
