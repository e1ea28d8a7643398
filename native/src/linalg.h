// Dense linear algebra of the CPU addon (LAPACK-like, row-major): Cholesky (xPOTRF, lower),
// triangular solve (xTRSM, left side) and the symmetric eigensolver (xSYEV). The semantics are
// those of the reference backend (src/backend/js/linalg/): see each function.
#pragma once

#include <cstdint>

namespace cv {

/**
 * In-place lower Cholesky A = L·Lᵀ of the n×n matrix at a (lower triangle read; on success the
 * strict upper triangle is zeroed). Returns −1 on success, else the index of the first pivot that is
 * ≤ 0, not finite, or rounds to 0 in T, with its value (before the square root) in *value.
 */
template <typename T>
int64_t potrf(int64_t n, T* a, int64_t lda, double* value);

/** Solves op(A)·X = alpha·B in place of the m×n B, A m×m triangular (`upper` triangle, else lower). */
template <typename T>
void trsm(bool upper, bool trans, bool unit_diag, int64_t m, int64_t n, double alpha, const T* a, int64_t lda, T* b,
  int64_t ldb);

/**
 * Eigenvalues (ascending) into w and, with `vectors`, the eigenvectors as columns of a (unit length,
 * largest-magnitude component positive, the first one on ties). Reads the lower triangle of a.
 * Returns 0, −1 when the lower triangle holds NaN/±Inf (nothing written), −2 when divide and
 * conquer did not converge (tridiagonal.h; nothing written).
 */
template <typename T>
int syev(int64_t n, T* a, int64_t lda, T* w, bool vectors);

}  // namespace cv
