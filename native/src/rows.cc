// Row kernels (see rows.h): templates over float/double/int32 storage, arithmetic in double.
#include "rows.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu.h"
#include "elementwise.h"

namespace cv {
namespace {

template <typename T> T* ptr(const View& v) { return static_cast<T*>(v.data); }

template <typename T>
void gather_t(const T* src, const int32_t* idx, int64_t n_idx, int64_t row, T* out) {
  for (int64_t i = 0; i < n_idx; i++) std::memcpy(out + i * row, src + static_cast<int64_t>(idx[i]) * row, static_cast<size_t>(row) * sizeof(T));
}

template <typename T>
CV_SIMD_CLONES void scatter_add_t(const T* src, const int32_t* idx, int64_t n_idx, int64_t row, T* out) {
  for (int64_t i = 0; i < n_idx; i++) {
    T* o = out + static_cast<int64_t>(idx[i]) * row;
    const T* s = src + i * row;
    for (int64_t j = 0; j < row; j++) o[j] = static_cast<T>(static_cast<double>(o[j]) + static_cast<double>(s[j]));
  }
}

/** The row maximum, skipping NaN (which reaches the result through the sum of exponentials). */
template <typename T>
double row_max(const T* x, int64_t n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; j++) if (x[j] > m) m = x[j];
  return m;
}

/**
 * Calls row_fn(r, xr, m, s, exps) for each row r of a rows×cols matrix, with m its maximum, exps
 * its e^{x[j] − m} and s their sum (in double). float32 rows take the SIMD exponential
 * (exp_f64_lanes: a few ulps of double, invisible after rounding to float32) over a block of rows
 * at once, so short rows (10 classes) pay no per-call overhead; float64 rows keep libm, the
 * reference's own function.
 */
template <typename T, typename RowFn>
void for_rows_with_exps(const T* x, int64_t rows, int64_t cols, RowFn row_fn) {
  thread_local std::vector<double> buf, maxima;
  const int64_t block = std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1));
  buf.resize(static_cast<size_t>(std::min(rows, block) * cols));
  maxima.resize(static_cast<size_t>(std::min(rows, block)));
  for (int64_t r0 = 0; r0 < rows; r0 += block) {
    const int64_t nr = std::min(block, rows - r0);
    for (int64_t r = 0; r < nr; r++) {
      const T* xr = x + (r0 + r) * cols;
      const double m = row_max(xr, cols);
      maxima[r] = m;
      double* br = buf.data() + r * cols;
      for (int64_t j = 0; j < cols; j++) br[j] = static_cast<double>(xr[j]) - m;
    }
    if (sizeof(T) == sizeof(float)) exp_f64_lanes(buf.data(), buf.data(), nr * cols);
    else for (int64_t i = 0; i < nr * cols; i++) buf[i] = std::exp(buf[i]);
    for (int64_t r = 0; r < nr; r++) {
      const double* br = buf.data() + r * cols;
      double s = 0;
      for (int64_t j = 0; j < cols; j++) s += br[j];
      row_fn(r0 + r, x + (r0 + r) * cols, maxima[r], s, br);
    }
  }
}

template <typename T>
void softmax_t(const T* x, int64_t rows, int64_t cols, T* out, bool log) {
  for_rows_with_exps(x, rows, cols, [&](int64_t r, const T* xr, double m, double s, const double* exps) {
    T* orow = out + r * cols;
    if (log) {
      const double ls = std::log(s);
      for (int64_t j = 0; j < cols; j++) orow[j] = static_cast<T>((static_cast<double>(xr[j]) - m) - ls);
    } else {
      for (int64_t j = 0; j < cols; j++) orow[j] = static_cast<T>(exps[j] / s);
    }
  });
}

template <typename T>
void cross_entropy_t(const T* z, const int32_t* labels, int64_t rows, int64_t cols, T* out) {
  for_rows_with_exps(z, rows, cols, [&](int64_t r, const T* zr, double m, double s, const double*) {
    out[r] = static_cast<T>(std::log(s) - (static_cast<double>(zr[labels[r]]) - m));
  });
}

/**
 * The softmax's tangents for k directions (Backend.softmaxJvp): t, out [outer, k, inner, cols], y
 * [outer, inner, cols]. Each value as mul, sum and mulAdd would leave it: p = y·t rounded to T,
 * s = Σ p in double from 0 in column order, then round(p + round(y·(−round(s)))).
 */
template <typename T>
void softmax_jvp_t(const T* y, const T* t, int64_t outer, int64_t k, int64_t inner, int64_t cols, T* out) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t j = 0; j < k; j++) {
      for (int64_t i = 0; i < inner; i++) {
        const T* yr = y + (o * inner + i) * cols;
        const int64_t at = ((o * k + j) * inner + i) * cols;
        const T* tr = t + at;
        T* orow = out + at;
        double s = 0.0;
        for (int64_t c = 0; c < cols; c++) {
          const T p = yr[c] * tr[c];
          s += p;
        }
        const T ns = -static_cast<T>(s);
        for (int64_t c = 0; c < cols; c++) {
          const T p = yr[c] * tr[c];
          const T q = yr[c] * ns;
          orow[c] = static_cast<T>(p + q);
        }
      }
    }
  }
}

template <typename T>
CV_SIMD_CLONES void tanh_grad_t(const T* y, const T* g, T* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const double yi = y[i];
    out[i] = static_cast<T>(static_cast<double>(g[i]) * (1 - yi * yi));
  }
}

}  // namespace

#define CV_ROWS_DISPATCH(dt, CALL)                                   \
  switch (dt) {                                                       \
    case DType::F32: { using T = float; CALL; break; }                \
    case DType::F64: { using T = double; CALL; break; }               \
    case DType::I32: { using T = int32_t; CALL; break; }              \
  }
#define CV_FLOAT_DISPATCH(dt, CALL)                                  \
  switch (dt) {                                                       \
    case DType::F32: { using T = float; CALL; break; }                \
    case DType::F64: { using T = double; CALL; break; }               \
    default: break;                                                   \
  }

void gather(const View& src, const int32_t* idx, int64_t n_idx, int64_t row, const View& out) {
  CV_ROWS_DISPATCH(src.dtype, gather_t<T>(ptr<T>(src), idx, n_idx, row, ptr<T>(out)));
}
void scatter_add(const View& src, const int32_t* idx, int64_t n_idx, int64_t row, const View& out) {
  // int32 sums wrap like JavaScript's ToInt32 only within range; the tensor layer scatters floats.
  CV_FLOAT_DISPATCH(src.dtype, scatter_add_t<T>(ptr<T>(src), idx, n_idx, row, ptr<T>(out)));
}
void softmax(const View& x, int64_t rows, int64_t cols, const View& out, bool log) {
  CV_FLOAT_DISPATCH(x.dtype, softmax_t<T>(ptr<T>(x), rows, cols, ptr<T>(out), log));
}
void softmax_jvp(const View& y, const View& t, int64_t outer, int64_t k, int64_t inner, int64_t cols, const View& out) {
  CV_FLOAT_DISPATCH(y.dtype, softmax_jvp_t<T>(ptr<T>(y), ptr<T>(t), outer, k, inner, cols, ptr<T>(out)));
}
void cross_entropy(const View& z, const int32_t* labels, int64_t rows, int64_t cols, const View& out) {
  CV_FLOAT_DISPATCH(z.dtype, cross_entropy_t<T>(ptr<T>(z), labels, rows, cols, ptr<T>(out)));
}
void tanh_grad(const View& y, const View& g, const View& out, int64_t n) {
  CV_FLOAT_DISPATCH(y.dtype, tanh_grad_t<T>(ptr<T>(y), ptr<T>(g), ptr<T>(out), n));
}

}  // namespace cv
