/*
 * The ABI between the WebAssembly kernels (wasm/src/*.c) and src/backend/wasm/*.ts.
 *
 * Conventions
 * - Every pointer is a byte address in the module's linear memory; element offsets are folded into
 *   pointers by the caller (ptr + offset * itemsize). Buffers are allocated with cv_malloc.
 * - Row-major storage. Strides and shapes are int32 arrays in linear memory (the caller writes
 *   them into a scratch area), rank ≤ 8. A stride of 0 broadcasts.
 * - Names end in the element type: _f32 (float), _f64 (double), _b32 / _b64 for type-agnostic
 *   moves of 4- / 8-byte elements (int32 uses _b32).
 * - Operation codes are the positions in these lists (must match src/backend/wasm/ops.ts):
 *   unary:  0 neg 1 exp 2 log 3 tanh 4 sigmoid 5 sqrt 6 abs 7 sign 8 square 9 reciprocal
 *           10 log1p 11 expm1 12 softplus 13 erf 14 sin 15 cos 16 relu 17 step 18 isfinite
 *   binary: 0 add 1 sub 2 mul 3 div 4 pow 5 max 6 min 7 gt 8 ge 9 lt 10 le 11 eq 12 ne
 *           (comparisons write 1/0 in the operand type; max/min propagate NaN from the first operand
 *            exactly like src/backend/js/elementwise.ts: max = (a >= b || isnan(a)) ? a : b)
 *   reduce: 0 sum 1 max 2 min
 * - Semantics are those of the reference backend (src/backend/types.ts documents each kernel); the
 *   conformance suite compares every kernel against it. Accumulate sums of float32 in float32 SIMD
 *   lanes is acceptable for GEMM (tolerance 1e-5 relative to Σ|a||b|); reductions of float32 should
 *   accumulate in double.
 */
#ifndef CURVATURE_H
#define CURVATURE_H
#include <stddef.h>
#include <stdint.h>

#define CV_EXPORT __attribute__((visibility("default"), used))

/* memory */
CV_EXPORT void *cv_malloc(size_t bytes);
CV_EXPORT void cv_free(void *p);
/* Bytes currently allocated by cv_malloc (for the no-leak test). */
CV_EXPORT size_t cv_allocated_bytes(void);

/* fill / cast / strided copy */
CV_EXPORT void cv_fill_f32(float *x, int n, float v);
CV_EXPORT void cv_fill_f64(double *x, int n, double v);
CV_EXPORT void cv_fill_b32(int32_t *x, int n, int32_t v);
/* from/to: 0 f32, 1 f64, 2 i32 (float → int truncates toward zero, like Math.trunc). */
CV_EXPORT void cv_cast(int from, int to, const void *src, void *dst, int n);
CV_EXPORT void cv_copy_b32(int rank, const int *shape, const uint32_t *src, const int *srcStrides, uint32_t *dst, const int *dstStrides);
CV_EXPORT void cv_copy_b64(int rank, const int *shape, const uint64_t *src, const int *srcStrides, uint64_t *dst, const int *dstStrides);

/* elementwise: out contiguous over `shape` */
CV_EXPORT void cv_unary_f32(int op, const float *x, float *out, int n);
CV_EXPORT void cv_unary_f64(int op, const double *x, double *out, int n);
CV_EXPORT void cv_binary_f32(int op, int rank, const int *shape, const float *a, const int *aStrides, const float *b, const int *bStrides, float *out);
CV_EXPORT void cv_binary_f64(int op, int rank, const int *shape, const double *a, const int *aStrides, const double *b, const int *bStrides, double *out);
/* int32 operands: only eq/ne (codes 11, 12) are used by the library; others may be implemented too. */
CV_EXPORT void cv_binary_i32(int op, int rank, const int *shape, const int32_t *a, const int *aStrides, const int32_t *b, const int *bStrides, int32_t *out);
CV_EXPORT void cv_where_f32(int rank, const int *shape, const float *c, const int *cStrides, const float *a, const int *aStrides, const float *b, const int *bStrides, float *out);
CV_EXPORT void cv_where_f64(int rank, const int *shape, const double *c, const int *cStrides, const double *a, const int *aStrides, const double *b, const int *bStrides, double *out);

/* x viewed as [outer, r, inner]: out[o, i] = op over k of x[o, k, i] */
CV_EXPORT void cv_reduce_f32(int op, const float *x, int outer, int r, int inner, float *out);
CV_EXPORT void cv_reduce_f64(int op, const double *x, int outer, int r, int inner, double *out);

/* C = alpha·op(A)·op(B) + beta·C; beta = 0 must not read C (it may hold NaN). */
CV_EXPORT void cv_gemm_f32(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
CV_EXPORT void cv_gemm_f64(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
/* Threads (src/backend/wasm/threads.ts): the same product cut into `parts` disjoint bands of C; this
   call writes band `part`, packing into `scratch` (cv_gemm_scratch_bytes_* bytes, 16-aligned; 0: the
   static buffers, main thread only). All parts together write bit for bit what cv_gemm_* writes. */
CV_EXPORT void cv_gemm_part_f32(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc, int part, int parts, void *scratch);
CV_EXPORT void cv_gemm_part_f64(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc, int part, int parts, void *scratch);
CV_EXPORT size_t cv_gemm_scratch_bytes_f32(void);
CV_EXPORT size_t cv_gemm_scratch_bytes_f64(void);

/* rows of length rowSize: gather out[i,:] = src[idx[i],:]; scatter-add out[idx[i],:] += src[i,:] */
CV_EXPORT void cv_gather_b32(const uint32_t *src, const int32_t *idx, int nIdx, int rowSize, uint32_t *out);
CV_EXPORT void cv_gather_b64(const uint64_t *src, const int32_t *idx, int nIdx, int rowSize, uint64_t *out);
CV_EXPORT void cv_scatter_add_f32(const float *src, const int32_t *idx, int nIdx, int rowSize, float *out);
CV_EXPORT void cv_scatter_add_f64(const double *src, const int32_t *idx, int nIdx, int rowSize, double *out);

/* im2col.c: patches of x [n, c, h, w] → cols [n, outH·outW, c·kh·kw] and the adjoint (sum back into
   the image, out overwritten); g = 14 int32 [n, c, h, w, kh, kw, strideH, strideW, padH, padW,
   dilationH, dilationW, outH, outW] (src/backend/types.ts, Im2colGeometry), checked by the caller. */
CV_EXPORT void cv_im2col_f32(const float *x, const int *g, float *cols);
CV_EXPORT void cv_im2col_f64(const double *x, const int *g, double *cols);
CV_EXPORT void cv_col2im_f32(const float *cols, const int *g, float *x);
CV_EXPORT void cv_col2im_f64(const double *cols, const int *g, double *x);
/* max-pooling's argmax [n, c, outH, outW]: flat index into x of each window's first largest value
   (padding skipped, NaN wins); every window holds an in-image tap (checked by the caller). */
CV_EXPORT void cv_maxpool_argmax_f32(const float *x, const int *g, int32_t *argmax);
CV_EXPORT void cv_maxpool_argmax_f64(const double *x, const int *g, int32_t *argmax);

/* rows×cols row-major, per row (softmax.c): softmax (log_ = 0) or log-softmax (log_ = 1), and the
   cross-entropy −log softmax(z)[labels[r]] into out[r]; labels already validated in [0, cols). */
CV_EXPORT void cv_softmax_f32(int rows, int cols, const float *x, float *out, int log_);
CV_EXPORT void cv_softmax_f64(int rows, int cols, const double *x, double *out, int log_);
CV_EXPORT void cv_cross_entropy_f32(int rows, int cols, const float *z, const int32_t *labels, float *out);
CV_EXPORT void cv_cross_entropy_f64(int rows, int cols, const double *z, const int32_t *labels, double *out);

/* out[i] = g[i]·(1 − y[i]²), contiguous (activation_grad.c): tanh's derivative through its output. */
CV_EXPORT void cv_tanh_grad_f32(int n, const float *y, const float *g, float *out);
CV_EXPORT void cv_tanh_grad_f64(int n, const double *y, const double *g, double *out);

/* dense linear algebra (row-major, as src/backend/types.ts) */
/* Lower Cholesky in place; returns -1 on success, else the failing pivot index, its value in *value. */
CV_EXPORT int cv_potrf_f32(int n, float *a, int lda, double *value);
CV_EXPORT int cv_potrf_f64(int n, double *a, int lda, double *value);
/* Solves op(A)·X = alpha·B in place (left side); upper: 0 lower, 1 upper. */
CV_EXPORT void cv_trsm_f32(int upper, int trans, int unitDiag, int m, int n, float alpha, const float *a, int lda, float *b, int ldb);
CV_EXPORT void cv_trsm_f64(int upper, int trans, int unitDiag, int m, int n, double alpha, const double *a, int lda, double *b, int ldb);
/* Ascending eigenvalues into w, eigenvectors as columns of a (largest-|component| positive);
   returns 0, or -1 when non-finite input (nothing written), -2 on QL non-convergence. */
CV_EXPORT int cv_syev_f32(int n, float *a, int lda, float *w, int computeVectors);
CV_EXPORT int cv_syev_f64(int n, double *a, int lda, double *w, int computeVectors);

#endif
