// Run-time CPU feature detection (cpuid) and the choice of GEMM micro-kernels.
#pragma once

/**
 * For the elementwise and row loops of the portable translation units: GCC compiles the function
 * once per listed ISA and picks one at load time (an ifunc on the CPU's features), so the loops get
 * AVX-512 or AVX2 vectors on CPUs that have them and the addon still loads on any x86-64. Only for
 * loops whose arithmetic is the same at every width (no reassociation, and no product whose
 * rounding a fused multiply-add could change), since the choice does not follow set_isa_cap.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CV_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CV_SIMD_CLONES
#endif

namespace cv {

/** GEMM micro-kernel families, in increasing order of the instructions they need. */
enum class Isa : int { Portable = 0, Avx2 = 1, Avx512 = 2 };

/** Whether this CPU has AVX2 and FMA (x86-64 cpuid; always false elsewhere). */
bool cpu_has_avx2_fma();
/** Whether this CPU has AVX-512F (and AVX2+FMA). */
bool cpu_has_avx512();

/**
 * Caps the kernels at `max` (tests use it to run every family, and to simulate an older CPU); the
 * kernels in use are the best the CPU has up to the cap. Also capped at load time by
 * CURVATURE_NATIVE_NO_AVX2=1 (portable) and CURVATURE_NATIVE_NO_AVX512=1 (AVX2 at most).
 */
void set_isa_cap(Isa max);

/** The kernel family in use. */
Isa gemm_isa();
/** Its name: "avx512", "avx2" or "portable". */
const char* gemm_kernel_name();

}  // namespace cv
