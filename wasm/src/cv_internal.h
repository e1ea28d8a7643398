/*
 * Helpers shared by the kernel files (not part of the ABI; see curvature.h for that).
 */
#ifndef CV_INTERNAL_H
#define CV_INTERNAL_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wasm_simd128.h>

#include "curvature.h"

#define CV_MAX_RANK 8
#define CV_MAX_OPS 4
#define CV_INLINE static inline __attribute__((always_inline))
#define CV_NOINLINE __attribute__((noinline))

/*
 * Multiply-add of the GEMM micro-kernels: acc + a·b. The plain builds (emscripten's clang 14, no
 * relaxed SIMD) compute it as a multiply then an add, exactly as written here; the FMA build
 * (scripts/build-wasm.mjs, clang-16 with -mrelaxed-simd -DCV_RELAXED_FMA: wasm/curvature-fma.wasm)
 * uses relaxed SIMD's madd, which engines run as one fused multiply-add where the CPU has one (a
 * single rounding, so its results differ from the plain builds' in the last bits).
 */
#ifdef CV_RELAXED_FMA
typedef float cv_f32x4 __attribute__((__vector_size__(16)));
typedef double cv_f64x2 __attribute__((__vector_size__(16)));
#define CV_MADD_F32X4(acc, a, b) \
  ((v128_t)__builtin_wasm_relaxed_madd_f32x4((cv_f32x4)(a), (cv_f32x4)(b), (cv_f32x4)(acc)))
#define CV_MADD_F64X2(acc, a, b) \
  ((v128_t)__builtin_wasm_relaxed_madd_f64x2((cv_f64x2)(a), (cv_f64x2)(b), (cv_f64x2)(acc)))
#else
#define CV_MADD_F32X4(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#define CV_MADD_F64X2(acc, a, b) wasm_f64x2_add(acc, wasm_f64x2_mul(a, b))
#endif

/* ---- strided N-d iteration (the C twin of src/backend/js/strided.ts) ---- */

/* A shape with one stride vector per operand, after coalescing. rank ≥ 1 unless empty. */
typedef struct {
  int rank;
  int nops;
  int shape[CV_MAX_RANK];
  int strides[CV_MAX_OPS][CV_MAX_RANK];
} cv_layout;

/*
 * Drops size-1 axes and merges adjacent axes that are contiguous in every operand (exactly like
 * coalesce() in strided.ts). Returns 0 when the shape has a zero dimension (nothing to do); a
 * rank-0 (or all-ones) shape becomes rank 1, length 1, strides 0.
 */
int cv_coalesce(int rank, const int *shape, int nops, const int *const *strides, cv_layout *out);

/*
 * Row iterator over the outer axes of a coalesced layout: the last axis is the inner row of length
 * shape[rank-1] with strides strides[o][rank-1]. Usage:
 *   cv_rows it; cv_rows_init(&it, &L);
 *   do { ... it.off[o] ... } while (cv_rows_next(&it, &L));
 */
typedef struct {
  int off[CV_MAX_OPS];
  int counter[CV_MAX_RANK];
} cv_rows;

CV_INLINE void cv_rows_init(cv_rows *it, const cv_layout *L) {
  for (int o = 0; o < CV_MAX_OPS; o++) it->off[o] = 0;
  for (int d = 0; d < CV_MAX_RANK; d++) it->counter[d] = 0;
  (void)L;
}

/* Advances to the next row; returns 0 after the last one. */
CV_INLINE int cv_rows_next(cv_rows *it, const cv_layout *L) {
  for (int d = L->rank - 2; d >= 0; d--) {
    it->counter[d]++;
    for (int o = 0; o < L->nops; o++) it->off[o] += L->strides[o][d];
    if (it->counter[d] < L->shape[d]) return 1;
    for (int o = 0; o < L->nops; o++) it->off[o] -= L->strides[o][d] * L->shape[d];
    it->counter[d] = 0;
  }
  return 0;
}

/* Contiguous row-major strides of `shape` into `out`. */
void cv_contiguous_strides(int rank, const int *shape, int *out);

/* ---- scalar semantics shared with the reference backend ---- */

/* ECMAScript ToInt32 of a double (what storing a number into an Int32Array does after Math.trunc). */
CV_INLINE int32_t cv_to_int32(double x) {
  if (!(x == x) || x == INFINITY || x == -INFINITY) return 0;
  double t = trunc(x);
  if (t >= -2147483648.0 && t <= 2147483647.0) return (int32_t)t;
  double m = fmod(t, 4294967296.0); /* exact, sign of t */
  if (m < 0) m += 4294967296.0;
  return (int32_t)(uint32_t)m;
}

/* Math.hypot(x, y) exactly as V8 computes it (scaled Kahan sum), so that syev is bit-identical. */
double cv_js_hypot(double x, double y);

/* ---- internal entry points shared between files ---- */

/* C(i,j) = alpha·Σ_p A(i,p)·B(j,p) + beta·C(i,j), every operand by (row, column) element strides. */
void cv_gemm_strided_f32(int m, int n, int k, float alpha, const float *a, int ars, int acs,
                         const float *b, int brs, int bcs, float beta, float *c, int crs, int ccs);
void cv_gemm_strided_f64(int m, int n, int k, double alpha, const double *a, int ars, int acs,
                         const double *b, int brs, int bcs, double beta, double *c, int crs, int ccs);

/* Left-side triangular solve L·X = alpha·B in place, L(i, p) = a[i·rs + p·cs] lower triangular when
   lowerOp (forward substitution) else upper (backward); B m×n with row stride ldb. */
void cv_trsm_strided_f32(int lowerOp, int unitDiag, int m, int n, float alpha, const float *a, int rs,
                         int cs, float *b, int ldb);
void cv_trsm_strided_f64(int lowerOp, int unitDiag, int m, int n, double alpha, const double *a,
                         int rs, int cs, double *b, int ldb);

#define CV_CAT_(a, b) a##b
#define CV_CAT(a, b) CV_CAT_(a, b)

#endif
