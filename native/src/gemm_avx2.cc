// AVX2+FMA micro-kernels (6×16 float32, 6×8 float64): 12 ymm accumulators, two B vectors and one
// broadcast per step. This translation unit alone is compiled with -mavx2 -mfma; it is entered
// only after cpuid says the CPU has both (cpu.cc), so the addon loads on any x86-64.
#include <immintrin.h>

#include "gemm.h"

namespace cv {

namespace {

/** Adds alpha·acc (MR rows of 2 vectors) into C, whole tiles with vector loads, edges through a buffer. */
template <typename T, typename V, int MR, int W, typename Load, typename Store, typename Fma, typename Set>
inline void write_back(V (&acc)[MR][2], T* c, int64_t ldc, int mr, int nr, T alpha, Load load, Store store, Fma fma,
  Set set1) {
  const V va = set1(alpha);
  if (mr == MR && nr == 2 * W) {
    for (int i = 0; i < MR; i++) {
      T* row = c + i * ldc;
      store(row, fma(va, acc[i][0], load(row)));
      store(row + W, fma(va, acc[i][1], load(row + W)));
    }
    return;
  }
  alignas(32) T tmp[MR][2 * W];
  for (int i = 0; i < MR; i++) { store(&tmp[i][0], acc[i][0]); store(&tmp[i][W], acc[i][1]); }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] += alpha * tmp[i][j];
}

}  // namespace

void micro_avx2_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha) {
  constexpr int MR = 6;
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) { acc[i][0] = _mm256_setzero_ps(); acc[i][1] = _mm256_setzero_ps(); }
  for (int64_t p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(ap + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    ap += MR;
    bp += 16;
  }
  write_back<float, __m256, MR, 8>(acc, c, ldc, mr, nr, alpha,
    [](const float* p) { return _mm256_loadu_ps(p); }, [](float* p, __m256 v) { _mm256_storeu_ps(p, v); },
    [](__m256 x, __m256 y, __m256 z) { return _mm256_fmadd_ps(x, y, z); }, [](float v) { return _mm256_set1_ps(v); });
}

void micro_avx2_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha) {
  constexpr int MR = 6;
  __m256d acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) { acc[i][0] = _mm256_setzero_pd(); acc[i][1] = _mm256_setzero_pd(); }
  for (int64_t p = 0; p < kc; p++) {
    const __m256d b0 = _mm256_loadu_pd(bp), b1 = _mm256_loadu_pd(bp + 4);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256d ai = _mm256_broadcast_sd(ap + i);
      acc[i][0] = _mm256_fmadd_pd(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_pd(ai, b1, acc[i][1]);
    }
    ap += MR;
    bp += 8;
  }
  write_back<double, __m256d, MR, 4>(acc, c, ldc, mr, nr, alpha,
    [](const double* p) { return _mm256_loadu_pd(p); }, [](double* p, __m256d v) { _mm256_storeu_pd(p, v); },
    [](__m256d x, __m256d y, __m256d z) { return _mm256_fmadd_pd(x, y, z); }, [](double v) { return _mm256_set1_pd(v); });
}

}  // namespace cv
