// cpuid-based feature detection; an AVX2/AVX-512 translation unit is only entered when this says so.
#include "cpu.h"

#include <cstdlib>
#include <cstring>

namespace cv {

static Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return Isa::Portable;
  return __builtin_cpu_supports("avx512f") ? Isa::Avx512 : Isa::Avx2;
#else
  return Isa::Portable;
#endif
}

static bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "") != 0 && std::strcmp(v, "0") != 0;
}

static Isa env_cap() {
  if (env_set("CURVATURE_NATIVE_NO_AVX2")) return Isa::Portable;
  if (env_set("CURVATURE_NATIVE_NO_AVX512")) return Isa::Avx2;
  return Isa::Avx512;
}

static const Isa kDetected = detect();
static Isa g_cap = env_cap();

bool cpu_has_avx2_fma() { return kDetected >= Isa::Avx2; }
bool cpu_has_avx512() { return kDetected >= Isa::Avx512; }
void set_isa_cap(Isa max) { g_cap = max; }
Isa gemm_isa() { return kDetected < g_cap ? kDetected : g_cap; }
const char* gemm_kernel_name() {
  switch (gemm_isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "portable";
  }
}

}  // namespace cv
