// AVX2+FMA micro-kernels (6×16 float32, 6×8 float64): 12 ymm accumulators, two B vectors and one
// broadcast per step (gemm_kernel.h). This translation unit alone is compiled with -mavx2 -mfma; it
// is entered only after cpuid says the CPU has both (cpu.cc), so the addon loads on any x86-64.
#include <immintrin.h>

#include "gemm_kernel.h"

namespace cv {

namespace {

struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(T v) { return _mm256_set1_ps(v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
};

struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(T v) { return _mm256_set1_pd(v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
};

constexpr int MR = kMrAvx2;

}  // namespace

void micro_avx2_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  micro_kernel<F32, MR, 1, MR>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);
}
void micro_avx2_f32_rows(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  micro_kernel<F32, MR, Packing<float>::RowStride, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);
}
void micro_avx2_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta) {
  micro_kernel<F64, MR, 1, MR>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);
}
void micro_avx2_f64_rows(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta) {
  micro_kernel<F64, MR, Packing<double>::RowStride, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);
}

void micro_avx2_f32_inplace(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  micro_kernel<F32, MR, 0, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);
}
void micro_avx2_f64_inplace(int64_t kc, const double* ap, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta) {
  micro_kernel<F64, MR, 0, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);
}

void micro_avx2_f32_inplace_t(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta) {
  micro_kernel<F32, MR, 1, 0>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);
}
void micro_avx2_f64_inplace_t(int64_t kc, const double* ap, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta) {
  micro_kernel<F64, MR, 1, 0>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);
}

}  // namespace cv
