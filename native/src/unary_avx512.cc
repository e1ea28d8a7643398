// The float32 transcendental unary kernels (vmath.h) on 8 double lanes. Compiled with -mavx512f
// alone; entered only after cpuid says the CPU has AVX-512F (cpu.cc).
#include "vmath.h"

namespace cv {

bool unary_f32_avx512(Unary op, const float* x, float* out, int64_t n) {
  typedef float F __attribute__((vector_size(32)));
  typedef double V __attribute__((vector_size(64)));
  typedef long long I __attribute__((vector_size(64)));
  return vmath::unary_f32<F, V, I, 8>(op, x, out, n);
}

}  // namespace cv
