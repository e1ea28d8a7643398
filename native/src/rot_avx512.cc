// The eigensolver's rotation kernel (rotate.h) compiled with -mavx512 (sources.gypi: avx512_sources);
// entered only after cpuid says the CPU has it (linalg.cc via cpu.h).
#include "rotate.h"

namespace cv {
void rotate_avx512(double* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn) {
  rot::rows<double, 8, 2, 6>(zt, n, r0, r1, sw, nsw, cs, sn);
}
void rotate_avx512(float* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn) {
  rot::rows<float, 16, 1, 6>(zt, n, r0, r1, sw, nsw, cs, sn);
}
}  // namespace cv
