// AVX-512F micro-kernels (12×32 float32, 12×16 float64): 24 zmm accumulators, two B vectors and one
// broadcast per step (gemm_kernel.h). This translation unit alone is compiled with -mavx512f; it is
// entered only after cpuid says the CPU has AVX-512F (cpu.cc), so the addon loads on any x86-64.
#include <immintrin.h>

#include "gemm_kernel.h"

namespace cv {

namespace {

struct F32 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(T v) { return _mm512_set1_ps(v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
};

struct F64 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(T v) { return _mm512_set1_pd(v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
};

constexpr int MR = kMrAvx512;

}  // namespace

CV_DEFINE_MICRO_KERNELS(avx512)

}  // namespace cv
