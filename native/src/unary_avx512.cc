// The float32 transcendental unary kernels and the double exponential of the row kernels (vmath.h)
// on 8 double lanes. Compiled with -mavx512f alone; entered only after cpuid says the CPU has
// AVX-512F (cpu.cc).
#include <immintrin.h>

#include "vmath.h"

namespace cv {
namespace {

typedef float F __attribute__((vector_size(32)));
typedef double V __attribute__((vector_size(64)));
typedef long long I __attribute__((vector_size(64)));

/** 1/d from the 14-bit estimate and two Newton steps r += r·(1 − d·r): 2⁻¹⁴ → 2⁻²⁸ → ~1 ulp. */
struct Rcp14Newton {
  static V recip(V d) {
    V r = (V)_mm512_maskz_rcp14_pd(0xFF, (__m512d)d);  // maskz: the unmasked form trips -Wmaybe-uninitialized in GCC 12
    r = r + r * (1.0 - d * r);
    return r + r * (1.0 - d * r);
  }
};

}  // namespace

bool unary_f32_avx512(Unary op, const float* x, float* out, int64_t n) {
  return vmath::unary_f32<F, V, I, 8, Rcp14Newton>(op, x, out, n);
}

void exp_f64_avx512(const double* x, double* out, int64_t n) { vmath::exp_f64<V, I, 8>(x, out, n); }

}  // namespace cv
