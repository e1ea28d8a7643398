// GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, packed and cache-blocked (Goto & van de Geijn),
// with an MR×NR micro-kernel chosen at run time: AVX-512 (gemm_avx512.cc), AVX2+FMA (gemm_avx2.cc)
// or portable C++ (gemm.cc).
#pragma once

#include <cstdint>

namespace cv {

/**
 * A micro-kernel: acc = Σ_p A[i][p]·bp[p·NR + j] over p < kc (packed, zero-padded panels; A read
 * as ap[p·MR + i] when packed step by step, as ap[i·Packing<T>::RowStride + p] by the _rows kernels),
 * then c[i·ldc + j] = beta·c[i·ldc + j] + alpha·acc[i][j] for i < mr, j < nr (beta = 0: C is not
 * read; beta = 1: no multiply — the arithmetic of scaling C first and then adding, bit for bit).
 */
template <typename T>
using MicroKernel = void (*)(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int mr, int nr, T alpha, T beta);

/**
 * The k-blocking of the packed GEMM (KC), and the row stride of an A micro-panel packed row by row:
 * KC plus one cache line, so that the MR rows of a panel fall in different L1 sets.
 */
template <typename T>
struct Packing {
  static constexpr int64_t KC = 256;
  static constexpr int64_t RowStride = KC + 64 / static_cast<int64_t>(sizeof(T));
};

/** Micro-tile rows: 12 on AVX-512 (24 of its 32 registers accumulate), 6 on AVX2 and the portable path. */
constexpr int kMrAvx512 = 12, kMrAvx2 = 6;

// NR = two vectors of the ISA (AVX2: 16 float / 8 double; AVX-512: 32 float / 16 double). The plain
// kernels read A packed step by step (MR values per k step); the _rows kernels read A packed row by
// row (Packing<T>::RowStride apart), which is what op(A) = A packs to with contiguous copies.
void micro_avx2_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx2_f32_rows(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx2_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx2_f64_rows(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx512_f32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx512_f32_rows(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx512_f64(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx512_f64_rows(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);

/**
 * A micro-kernel reading A in place instead of from a packed panel (full MR-row tiles): op(A) = A
 * with rows lda apart (_inplace), or op(A) = Aᵀ with steps lda apart (_inplace_t). The same
 * arithmetic, so the same bits as the packed kernels.
 */
template <typename T>
using MicroKernelInPlace = void (*)(int64_t kc, const T* a, int64_t lda, const T* bp, T* c, int64_t ldc, int mr, int nr, T alpha, T beta);
void micro_avx2_f32_inplace(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx2_f64_inplace(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx512_f32_inplace(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx512_f64_inplace(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx2_f32_inplace_t(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx2_f64_inplace_t(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);
void micro_avx512_f32_inplace_t(int64_t kc, const float* a, int64_t lda, const float* bp, float* c, int64_t ldc, int mr, int nr, float alpha, float beta);
void micro_avx512_f64_inplace_t(int64_t kc, const double* a, int64_t lda, const double* bp, double* c, int64_t ldc, int mr, int nr, double alpha, double beta);

/** The full GEMM (arguments checked by the caller: extents, ld, dtypes). */
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

/**
 * A strided batch: C_e = alpha·op(A_e)·op(B_e) + beta·C_e with X_e = X + e·stride_x for e < batch.
 * A stride of 0 shares that operand, which is then packed once for all entries. Each C_e is
 * bit for bit the single GEMM's, whatever the batch and the thread count.
 */
template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc, int64_t stride_c,
  int64_t batch);

/**
 * The lower triangle of the n×n C = alpha·op(A)·op(B) + beta·C, for products known to be
 * symmetric (a symmetric rank-2k update, say): the micro-tiles that meet the lower triangle are
 * computed exactly as gemm computes them (some elements above the diagonal with them); the rest of
 * the upper triangle is not touched.
 */
template <typename T>
void gemm_lower(bool trans_a, bool trans_b, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
  int64_t ldb, T beta, T* c, int64_t ldc);

/**
 * C (m×n, ld ldc) = (op(A)·op(B)) ⊙ S: gemm (alpha 1, beta 0) and then each element multiplied by
 * S[r, j] = scale[(r / inner)·outer_stride + (r % inner)·inner_stride + j] and rounded to T, as
 * the GEMM finishes each micro-tile — the same bits as gemm followed by a broadcast multiply.
 */
template <typename T>
void gemm_scaled(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
  int64_t ldb, T* c, int64_t ldc, const T* scale, int64_t inner, int64_t outer_stride, int64_t inner_stride);

/**
 * out (m×n, ld n) = Σ_e (A_e·op(B) + 1·biasᵀ)² over e < batch, A_e = a + e·stride_a (m×k, ld k), B
 * shared (op(B) = Bᵀ when trans_b), bias n values or null: each product as gemm_batched computes it,
 * the bias added and the sum squared, each rounded to T, summed in float64 in entry order — a
 * strided-batched GEMM, the bias add, then sumSquares over the batch, bit for bit, without the
 * batch of products in memory (EK-FAC's Σₖ (δₖ·Q_G)² and (ã·Q_A)²).
 */
template <typename T>
void gemm_sum_squares(bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, const T* a, int64_t stride_a,
  const T* b, int64_t ldb, T* out, const T* bias);

/**
 * The symmetric product C = alpha·op(A)·op(A)ᵀ, n×n (xSYRK, both triangles written): op(A) = Aᵀ
 * for A k×n when `trans` (C = alpha·AᵀA), else A n×k (C = alpha·AAᵀ). About half of gemm's work:
 * the lower triangle is computed as gemm(trans, !trans, …) would compute it (the same micro-tiles,
 * k blocks and kernels) and mirrored, so C equals that gemm's with beta = 0 bit for bit.
 */
template <typename T>
void syrk(bool trans, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, T* c, int64_t ldc);

}  // namespace cv
