// The eigensolver for a symmetric tridiagonal T (diagonal d[0..n), off-diagonal e[0..n−1), float64)
// that syev (syev.cc) ends with: divide and conquer (stedc.cc), its leaves by implicit QL.
#pragma once

#include <cstdint>

namespace cv {

/**
 * Eigenvalues and eigenvectors of T by divide and conquer (xSTEDC; see stedc.cc): d receives the
 * eigenvalues ascending, q (n×n, row-major, leading dimension ldq) the unit eigenvectors as
 * columns, in the working type R (float for float32 input, as LAPACK's sstedc). e is destroyed.
 * Returns false when QL on a leaf or a secular equation did not converge.
 */
template <typename R>
bool stedc(int64_t n, double* d, double* e, R* q, int64_t ldq);

}  // namespace cv
