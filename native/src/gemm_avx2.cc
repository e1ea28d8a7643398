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

CV_DEFINE_MICRO_KERNELS(avx2)

}  // namespace cv
