// Host launchers of the device kernels. Pointers are device pointers already offset where the
// kernel takes no offset; extents were checked by the caller (src/backend/checks.ts, then addon.cc).
// Every launcher queues work on runtime.h's stream and checks the launch; none synchronises unless
// it must read a device flag back (gather/scatterAdd/crossEntropy index checks, potrf's pivot).
#pragma once

#include <cstdint>

#include "common.h"

namespace cv {
namespace cuda {

// elementwise.cu — semantics of the js reference (src/backend/js/elementwise.ts): computed in double,
// stored with the destination's conversion (float32 rounding, JavaScript's ToInt32 for int32).
void fill(DType dt, void* p, int64_t n, double value);
void cast(DType sdt, const void* src, DType ddt, void* dst, int64_t n);
void unary(Unary op, DType dt, const void* x, void* out, int64_t n);
/** args: operands {a, b, out}, coalesced. */
void binary(Binary op, DType dt, const StridedArgs& args, const void* a, const void* b, void* out);
/** args: operands {cond, a, b, out}. */
void where(DType dt, const StridedArgs& args, const void* c, const void* a, const void* b, void* out);
/** args: operands {src, dst}, bases are the element offsets. */
void copy(DType dt, const StridedArgs& args, const void* src, void* dst);
void reduce(Reduce op, DType dt, const void* x, int64_t outer, int64_t r, int64_t inner, void* out);

// gemm.cu — row-major C = alpha·op(A)·op(B) + beta·C, `batch` products at strides sa/sb/sc.
void gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
  const void* a, int64_t lda, int64_t sa, const void* b, int64_t ldb, int64_t sb,
  double beta, void* c, int64_t ldc, int64_t sc, int64_t batch);

// rows.cu — src/backend/js/softmax.ts, activation-grad.ts, gather/scatter of the reference.
/** Returns the first out-of-range position (or -1): the index is checked on the device. */
int64_t gather(DType dt, const void* src, int64_t src_rows, const int32_t* idx, int64_t n_idx, int64_t row, void* out);
int64_t scatter_add(DType dt, const void* src, const int32_t* idx, int64_t n_idx, int64_t row, void* out, int64_t out_rows);
void softmax(DType dt, const void* x, int64_t rows, int64_t cols, void* out, bool log);
/** Returns the first row whose label is out of range (or -1). */
int64_t cross_entropy(DType dt, const void* z, const int32_t* labels, int64_t rows, int64_t cols, void* out);
void tanh_grad(DType dt, const void* y, const void* g, void* out, int64_t n);

// linalg.cu — LAPACK potrf (lower) and trsm (left side) on row-major matrices.
/** In-place lower Cholesky; returns -1 on success, else the failing pivot (its value in *value). */
int64_t potrf(DType dt, void* a, int64_t n, int64_t lda, double* value);
/** op(A)·X = alpha·B in place of B (A m×m triangular, B m×n). */
void trsm(DType dt, bool upper, bool trans, bool unit, int64_t m, int64_t n, double alpha,
  const void* a, int64_t lda, void* b, int64_t ldb);

// syev.cu — symmetric eigendecomposition by parallel cyclic Jacobi.
/**
 * Ascending eigenvalues into w, eigenvectors (columns, unit length, largest component positive) over A
 * when `vectors`. Returns -1, or the first (row-major, lower triangle) entry that is not finite as
 * i·n + j — before anything is written.
 */
int64_t syev(DType dt, int64_t n, void* a, int64_t lda, void* w, bool vectors);

}  // namespace cuda
}  // namespace cv
