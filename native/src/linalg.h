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
 * Returns 0, −1 when the lower triangle holds NaN/±Inf (nothing written), −2 when QL did not
 * converge within 30·n steps.
 */
template <typename T>
int syev(int64_t n, T* a, int64_t lda, T* w, bool vectors);

/**
 * Applies recorded plane rotations to rows [r0, r1) of the columns of zt (n×n row-major, row j =
 * column j of Z): for each sweep s (planes l_s..m_s, cosines/sines at cs/sn + off_s), for i = m−1
 * down to l: (z_i, z_{i+1}) ← (c·z_i − s·z_{i+1}, s·z_i + c·z_{i+1}). Per ISA (rot_*.cc); the float
 * copies (for float32 input) round c and s to float.
 */
struct Sweep { int64_t l, m, off; };
void rotate_portable(double* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);
void rotate_portable(float* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);
void rotate_avx2(double* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);
void rotate_avx2(float* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);
void rotate_avx512(double* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);
void rotate_avx512(float* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn);

}  // namespace cv
