// The MR×NR micro-kernel body, shared by the ISA translation units (gemm_avx2.cc, gemm_avx512.cc),
// which instantiate it with their vector operations (Ops). NR = two vectors of the ISA.
//
// A micro-panel of A is read as ap[i·SI + p·SP] (row i < MR, step p < kc): SI = 1, SP = MR for the
// panel packed step by step (pack_a_cols in gemm.cc), SI = Packing<T>::RowStride, SP = 1 for the
// panel packed row by row (pack_a_rows). Both are compile-time constants, so every broadcast is one
// load at a fixed displacement. SI = 0, SP = 1 reads A where it is, rows lda apart, and SI = 1,
// SP = 0 reads Aᵀ where it is, steps lda apart (the _inplace kernels: skinny products, where packing
// A would cost more than it saves). The B micro-panel is bp[p·NR + j].
#pragma once

#include "gemm.h"

namespace cv {

/**
 * acc[i][·] = Σ_p A[i][p]·B[p][·], then C[i][j] = beta·C[i][j] + alpha·acc[i][j] for i < mr, j < nr,
 * as fma(alpha, acc, beta·C) — exactly what scaling C by beta first and adding would give (beta = 0:
 * C is not read, so NaN there is overwritten; beta = 1: no multiply).
 */
template <typename Ops, int MR, int SI, int SP>
inline void micro_kernel(int64_t kc, const typename Ops::T* ap, const typename Ops::T* bp, typename Ops::T* c,
  int64_t ldc, int mr, int nr, typename Ops::T alpha, typename Ops::T beta, int64_t lda = 0) {
  // SI = 0 or SP = 0: A read in place, its rows (op(A) = A) or its steps (op(A) = Aᵀ) lda apart.
  const int64_t si = SI > 0 ? SI : lda, sp = SP > 0 ? SP : lda;
  using T = typename Ops::T;
  using V = typename Ops::V;
  constexpr int W = Ops::W;
  V acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) { acc[i][0] = Ops::zero(); acc[i][1] = Ops::zero(); }
  for (int i = 0; i < mr; i++) {  // C's tile is needed only after the loop: fetch it meanwhile
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + 2 * W - 1, 1, 3);
  }
  for (int64_t p = 0; p < kc; p++) {
    const V b0 = Ops::load(bp), b1 = Ops::load(bp + W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const V ai = Ops::set1(ap[i * si]);
      acc[i][0] = Ops::fma(ai, b0, acc[i][0]);
      acc[i][1] = Ops::fma(ai, b1, acc[i][1]);
    }
    ap += sp;
    bp += 2 * W;
  }
  const V va = Ops::set1(alpha), vb = Ops::set1(beta);
  // beta·C, as the separate scaling pass would have left it.
  auto scaled = [&](const T* p) { return beta == T(0) ? Ops::zero() : beta == T(1) ? Ops::load(p) : Ops::mul(vb, Ops::load(p)); };
  if (mr == MR && nr == 2 * W) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      T* row = c + i * ldc;
      Ops::store(row, Ops::fma(va, acc[i][0], scaled(row)));
      Ops::store(row + W, Ops::fma(va, acc[i][1], scaled(row + W)));
    }
    return;
  }
  alignas(64) T tmp[MR][2 * W];  // an edge tile: through a buffer, the same arithmetic per element
  for (int i = 0; i < MR; i++) { Ops::store(&tmp[i][0], acc[i][0]); Ops::store(&tmp[i][W], acc[i][1]); }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      T* cij = c + i * ldc + j;
      const T base = beta == T(0) ? T(0) : beta == T(1) ? *cij : beta * *cij;
      *cij = base + alpha * tmp[i][j];
    }
}

/**
 * The entry points of one ISA's translation unit (gemm.h), each a micro_kernel instantiation: the
 * packed kernels (A step by step, A row by row) and the in-place ones (rows, Aᵀ steps, lda apart),
 * in float32 and float64. The unit defines F32, F64 (its vector operations) and MR before expanding
 * it; the one list keeps the ISA files from repeating the wrappers.
 */
#define CV_DEFINE_MICRO_KERNELS(isa)                                                                                  \
  void micro_##isa##_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,          \
    float alpha, float beta) {                                                                                         \
    micro_kernel<F32, MR, 1, MR>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);                                             \
  }                                                                                                                    \
  void micro_##isa##_f32_rows(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr,     \
    float alpha, float beta) {                                                                                         \
    micro_kernel<F32, MR, Packing<float>::RowStride, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);                      \
  }                                                                                                                    \
  void micro_##isa##_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr,       \
    double alpha, double beta) {                                                                                       \
    micro_kernel<F64, MR, 1, MR>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);                                             \
  }                                                                                                                    \
  void micro_##isa##_f64_rows(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr,  \
    double alpha, double beta) {                                                                                       \
    micro_kernel<F64, MR, Packing<double>::RowStride, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta);                     \
  }                                                                                                                    \
  void micro_##isa##_f32_inplace(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc,     \
    int mr, int nr, float alpha, float beta) {                                                                         \
    micro_kernel<F32, MR, 0, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);                                         \
  }                                                                                                                    \
  void micro_##isa##_f64_inplace(int64_t kc, const double* ap, int64_t lda, const double* bp, double* c, int64_t ldc,  \
    int mr, int nr, double alpha, double beta) {                                                                       \
    micro_kernel<F64, MR, 0, 1>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);                                         \
  }                                                                                                                    \
  void micro_##isa##_f32_inplace_t(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc,   \
    int mr, int nr, float alpha, float beta) {                                                                         \
    micro_kernel<F32, MR, 1, 0>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);                                         \
  }                                                                                                                    \
  void micro_##isa##_f64_inplace_t(int64_t kc, const double* ap, int64_t lda, const double* bp, double* c, int64_t ldc, \
    int mr, int nr, double alpha, double beta) {                                                                       \
    micro_kernel<F64, MR, 1, 0>(kc, ap, bp, c, ldc, mr, nr, alpha, beta, lda);                                         \
  }

}  // namespace cv
