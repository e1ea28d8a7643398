// The eigensolver's rotation kernel (rotate.h) compiled with -mavx2 (sources.gypi: avx2_sources);
// entered only after cpuid says the CPU has it (linalg.cc via cpu.h).
#include "rotate.h"

namespace cv {
void rotate_avx2(double* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn) {
  rot::rows<double, 4, 4, 4>(zt, n, r0, r1, sw, nsw, cs, sn);
}
void rotate_avx2(float* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn) {
  rot::rows<float, 8, 2, 4>(zt, n, r0, r1, sw, nsw, cs, sn);
}
}  // namespace cv
