// Eigensolvers for a symmetric tridiagonal T (diagonal d[0..n), off-diagonal e[0..n−1), float64),
// the last stage of syev (syev.cc): implicit QL (eigenvalues alone, or the rotations recorded for
// the eigenvectors) and divide and conquer (stedc.cc: eigenvalues and eigenvectors).
#pragma once

#include <cstdint>
#include <vector>

#include "linalg.h"

namespace cv {

/**
 * Implicit QL with Wilkinson shifts on (d, e) (tql2, as src/backend/js/linalg/tridiagonalQl.ts):
 * d receives the eigenvalues (unsorted), e is destroyed. With `record`, the rotations of every
 * step are appended (planes l..m, c and s indexed by plane − l). Returns false past 30·n steps.
 */
bool tridiagonal_ql(int64_t n, double* d, double* e, bool record, std::vector<Sweep>& sweeps, std::vector<double>& cs,
  std::vector<double>& sn);

/**
 * Eigenvalues and eigenvectors of T by divide and conquer (xSTEDC; see stedc.cc): d receives the
 * eigenvalues ascending, q (n×n, row-major, leading dimension ldq) the unit eigenvectors as
 * columns, in the working type R (float for float32 input, as LAPACK's sstedc). e is destroyed.
 * Returns false when QL on a leaf or a secular equation did not converge.
 */
template <typename R>
bool stedc(int64_t n, double* d, double* e, R* q, int64_t ldq);

}  // namespace cv
