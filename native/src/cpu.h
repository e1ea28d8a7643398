// Run-time CPU feature detection (cpuid) and the choice of GEMM micro-kernels.
#pragma once

namespace cv {

/** Whether this CPU has AVX2 and FMA (x86-64 cpuid; always false elsewhere). */
bool cpu_has_avx2_fma();

/** The GEMM kernel family in use: "avx2" or "portable". */
const char* gemm_kernel_name();

/**
 * Forces the portable kernels (force = true) or returns to detection (false); tests use it to
 * simulate a CPU without AVX2. Also set at load time by CURVATURE_NATIVE_NO_AVX2=1.
 */
void set_force_portable(bool force);

/** True when the AVX2+FMA kernels run (detected and not forced off). */
bool use_avx2();

}  // namespace cv
