// The float32 transcendental unary kernels and the double exponential of the row kernels (vmath.h)
// on 4 double lanes. Compiled with -mavx2 -mfma alone; entered only after cpuid says the CPU has
// both (cpu.cc).
#include "vmath.h"

namespace cv {
namespace {

typedef float F __attribute__((vector_size(16)));
typedef double V __attribute__((vector_size(32)));
typedef long long I __attribute__((vector_size(32)));

}  // namespace

bool unary_f32_avx2(Unary op, const float* x, float* out, int64_t n) {
  return vmath::unary_f32<F, V, I, 4>(op, x, out, n);
}

void exp_f64_avx2(const double* x, double* out, int64_t n) { vmath::exp_f64<V, I, 4>(x, out, n); }

}  // namespace cv
