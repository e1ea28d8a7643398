// AVX-512F micro-kernels (6×32 float32, 6×16 float64): 12 ymm accumulators, two B vectors and one
// broadcast per step. This translation unit alone is compiled with -mavx512f; it is entered only
// after cpuid says the CPU has AVX-512F (cpu.cc), so the addon loads on any x86-64.
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
  alignas(64) T tmp[MR][2 * W];
  for (int i = 0; i < MR; i++) { store(&tmp[i][0], acc[i][0]); store(&tmp[i][W], acc[i][1]); }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] += alpha * tmp[i][j];
}

}  // namespace

void micro_avx512_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha) {
  constexpr int MR = 6;
  __m512 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) { acc[i][0] = _mm512_setzero_ps(); acc[i][1] = _mm512_setzero_ps(); }
  for (int64_t p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m512 ai = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    ap += MR;
    bp += 32;
  }
  write_back<float, __m512, MR, 16>(acc, c, ldc, mr, nr, alpha,
    [](const float* p) { return _mm512_loadu_ps(p); }, [](float* p, __m512 v) { _mm512_storeu_ps(p, v); },
    [](__m512 x, __m512 y, __m512 z) { return _mm512_fmadd_ps(x, y, z); }, [](float v) { return _mm512_set1_ps(v); });
}

void micro_avx512_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha) {
  constexpr int MR = 6;
  __m512d acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) { acc[i][0] = _mm512_setzero_pd(); acc[i][1] = _mm512_setzero_pd(); }
  for (int64_t p = 0; p < kc; p++) {
    const __m512d b0 = _mm512_loadu_pd(bp), b1 = _mm512_loadu_pd(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m512d ai = _mm512_set1_pd(ap[i]);
      acc[i][0] = _mm512_fmadd_pd(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_pd(ai, b1, acc[i][1]);
    }
    ap += MR;
    bp += 16;
  }
  write_back<double, __m512d, MR, 8>(acc, c, ldc, mr, nr, alpha,
    [](const double* p) { return _mm512_loadu_pd(p); }, [](double* p, __m512d v) { _mm512_storeu_pd(p, v); },
    [](__m512d x, __m512d y, __m512d z) { return _mm512_fmadd_pd(x, y, z); }, [](double v) { return _mm512_set1_pd(v); });
}

}  // namespace cv
