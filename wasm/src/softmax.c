/*
 * cv_softmax_{f32,f64} and cv_cross_entropy_{f32,f64}: row-wise softmax / log-softmax and the
 * per-row cross-entropy with integer labels, fused in one pass over each row (softmaxKernel and
 * crossEntropyKernel in src/backend/js/softmax.ts are the reference).
 *
 * Per row x of length cols, with m = max_j x_j (a constant shift: the results are exact for any m,
 * and this one keeps every exponent ≤ 0) and S = Σ_j e^{x_j − m}, all in double:
 *   softmax_j     = e^{x_j − m} / S
 *   log-softmax_j = (x_j − m) − log S
 *   cross-entropy = log S − (x_y − m)          (= −log softmax_y; torch.nn.CrossEntropyLoss per row)
 * float32 inputs are widened and each result rounded once. exp runs on f64x2 lanes for float32
 * (simd_math.h, < 1e-15 relative; arguments below −110 clamp there, whose exponentials are 0 in
 * float32 anyway) and with libm for float64 (the oracle precision). NaN anywhere in a row gives NaN
 * for the whole row (through S); a row of −∞ gives NaN, as in the reference.
 * Labels must lie in [0, cols): the caller validates them (src/backend/wasm/index.ts).
 */
#include "cv_internal.h"
#include "simd_math.h"

/* max over a row; NaN is skipped here and propagates through the sum of exponentials instead. */
#define ROW_MAX(T, x, n)                                                                           \
  ({                                                                                               \
    T m_ = -INFINITY;                                                                              \
    for (int j_ = 0; j_ < (n); j_++) if ((x)[j_] > m_) m_ = (x)[j_];                               \
    m_;                                                                                            \
  })

/* e[j] = exp(x[j] − m) for j < n (double scratch), returns Σ e[j]. */
static double exp_shifted_f32(const float *x, int n, double m, double *e) {
  double s = 0;
  int j = 0;
  const v128_t vm = wasm_f64x2_splat(m);
  for (; j + 2 <= n; j += 2) {
    const v128_t v = wasm_f64x2_make((double)x[j], (double)x[j + 1]);
    const v128_t r = cv_exp_f64x2(wasm_f64x2_sub(v, vm));
    e[j] = wasm_f64x2_extract_lane(r, 0);
    e[j + 1] = wasm_f64x2_extract_lane(r, 1);
    s += e[j] + e[j + 1];
  }
  if (j < n) {
    const v128_t r = cv_exp_f64x2(wasm_f64x2_make((double)x[j] - m, 0.0));
    e[j] = wasm_f64x2_extract_lane(r, 0);
    s += e[j];
  }
  return s;
}

/* Rows are processed in chunks of this many columns of double scratch on the stack. */
#define CHUNK 512

void cv_softmax_f32(int rows, int cols, const float *x, float *out, int log_) {
  double e[CHUNK];
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * cols;
    float *o = out + (size_t)r * cols;
    const double m = ROW_MAX(float, xr, cols);
    double s = 0;
    for (int c0 = 0; c0 < cols; c0 += CHUNK) s += exp_shifted_f32(xr + c0, cols - c0 < CHUNK ? cols - c0 : CHUNK, m, e);
    if (log_) {
      const double ls = log(s);
      for (int j = 0; j < cols; j++) o[j] = (float)(((double)xr[j] - m) - ls);
    } else {
      /* e still holds the row's exponentials when it fits one chunk; otherwise recompute them. */
      if (cols <= CHUNK) {
        for (int j = 0; j < cols; j++) o[j] = (float)(e[j] / s);
      } else {
        for (int j = 0; j < cols; j++) o[j] = (float)(exp((double)xr[j] - m) / s);
      }
    }
  }
}

void cv_softmax_f64(int rows, int cols, const double *x, double *out, int log_) {
  for (int r = 0; r < rows; r++) {
    const double *xr = x + (size_t)r * cols;
    double *o = out + (size_t)r * cols;
    const double m = ROW_MAX(double, xr, cols);
    double s = 0;
    for (int j = 0; j < cols; j++) s += exp(xr[j] - m);
    if (log_) {
      const double ls = log(s);
      for (int j = 0; j < cols; j++) o[j] = (xr[j] - m) - ls;
    } else {
      for (int j = 0; j < cols; j++) o[j] = exp(xr[j] - m) / s;
    }
  }
}

void cv_cross_entropy_f32(int rows, int cols, const float *z, const int32_t *labels, float *out) {
  double e[CHUNK];
  for (int r = 0; r < rows; r++) {
    const float *zr = z + (size_t)r * cols;
    const double m = ROW_MAX(float, zr, cols);
    double s = 0;
    for (int c0 = 0; c0 < cols; c0 += CHUNK) s += exp_shifted_f32(zr + c0, cols - c0 < CHUNK ? cols - c0 : CHUNK, m, e);
    out[r] = (float)(log(s) - ((double)zr[labels[r]] - m));
  }
}

void cv_cross_entropy_f64(int rows, int cols, const double *z, const int32_t *labels, double *out) {
  for (int r = 0; r < rows; r++) {
    const double *zr = z + (size_t)r * cols;
    const double m = ROW_MAX(double, zr, cols);
    double s = 0;
    for (int j = 0; j < cols; j++) s += exp(zr[j] - m);
    out[r] = log(s) - (zr[labels[r]] - m);
  }
}
