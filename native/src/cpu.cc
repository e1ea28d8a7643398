// cpuid-based feature detection; the AVX2 translation unit is only entered when this says so.
#include "cpu.h"

#include <cstdlib>
#include <cstring>

namespace cv {

static bool detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

static bool env_forced() {
  const char* v = std::getenv("CURVATURE_NATIVE_NO_AVX2");
  return v != nullptr && std::strcmp(v, "") != 0 && std::strcmp(v, "0") != 0;
}

static const bool kHasAvx2 = detect();
static bool g_force_portable = env_forced();

bool cpu_has_avx2_fma() { return kHasAvx2; }
void set_force_portable(bool force) { g_force_portable = force; }
bool use_avx2() { return kHasAvx2 && !g_force_portable; }
const char* gemm_kernel_name() { return use_avx2() ? "avx2" : "portable"; }

}  // namespace cv
