// Dense linear algebra (see linalg.h): blocked Cholesky and triangular solve on the packed GEMM of
// gemm.cc; the symmetric eigensolver is in syev.cc.
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gemm.h"

namespace cv {

namespace {

// ---------------------------------------------------------------------------------------------
// Cholesky

constexpr int64_t kPotrfNb = 96;
/** Columns per panel of the outer update (see potrf). */
constexpr int64_t kPotrfPanel = 384;

/**
 * Unblocked Cholesky of the nb×nb diagonal block at a (already updated by the columns left of it),
 * row-oriented with float64 sums; `base` is the block's first global index.
 */
template <typename T>
int64_t potrf_small(int64_t nb, T* a, int64_t lda, int64_t base, double* value) {
  for (int64_t i = 0; i < nb; i++) {
    T* ri = a + i * lda;
    for (int64_t j = 0; j <= i; j++) {
      const T* rj = a + j * lda;
      double s = ri[j];
      for (int64_t k = 0; k < j; k++) s -= static_cast<double>(ri[k]) * rj[k];
      if (j < i) {
        ri[j] = static_cast<T>(s / rj[j]);
        continue;
      }
      if (!(s > 0) || s == std::numeric_limits<double>::infinity()) { *value = s; return base + i; }
      ri[i] = static_cast<T>(std::sqrt(s));
      if (!(ri[i] > 0)) { *value = s; return base + i; }
    }
  }
  return -1;
}

/** inv ← L⁻¹ of the nb×nb lower-triangular L (row-major, ld nb), float64 sums. */
template <typename T>
void tri_inverse(int64_t nb, const T* l, int64_t ldl, T* inv) {
  std::fill(inv, inv + nb * nb, T(0));
  std::vector<double> col(nb);
  for (int64_t j = 0; j < nb; j++) {  // column j of L⁻¹: forward substitution on e_j
    std::fill(col.begin(), col.end(), 0.0);
    for (int64_t i = j; i < nb; i++) {
      double s = i == j ? 1.0 : 0.0;
      const T* ri = l + i * ldl;
      for (int64_t k = j; k < i; k++) s -= static_cast<double>(ri[k]) * col[k];
      col[i] = s / ri[i];
      inv[i * nb + j] = static_cast<T>(col[i]);
    }
  }
}

}  // namespace

/**
 * Left-looking by blocks of rows (row-major lower = LAPACK's upper, column-major), on two levels.
 * Outer: for the panel of columns J (kPotrfPanel wide), every row i ≥ J gets the update from all
 * columns left of it in one GEMM, A[J:,J] −= L[J:,:J]·L[J,:J]ᵀ (its diagonal block by gemm_lower,
 * lower triangle only). Inner, within the panel, for each block row j (kPotrfNb): the update from
 * the panel's columns left of j (small GEMMs), factor A[j,j] unblocked (the pivot check), then the
 * rows below: A[I,j] ← A[I,j]·L[j,j]⁻ᵀ (GEMM with the inverse of the small triangle).
 *
 * Why two levels: the big update reads the whole factor so far, L[J:,:J], from memory once per
 * panel and does 2·width flops per element read. At width 96 (one level) that is ≈ 190 flops per
 * 8 bytes, which the memory bus of a shared machine cannot feed to the GEMM (measured: n = 12,730
 * float64 at 49 GFLOP/s against DGEMM's 73); at 384 it is four times as many.
 *
 * The first failing pivot is found exactly where the reference finds it: pivot i depends only on
 * the columns before i, which all succeeded.
 */
template <typename T>
int64_t potrf(int64_t n, T* a, int64_t lda, double* value) {
  std::vector<T> inv, tmp;
  for (int64_t p0 = 0; p0 < n; p0 += kPotrfPanel) {
    const int64_t pw = std::min(kPotrfPanel, n - p0);
    T* app = a + p0 * lda + p0;
    if (p0 > 0) {
      gemm_lower<T>(false, true, pw, p0, T(-1), a + p0 * lda, lda, a + p0 * lda, lda, T(1), app, lda);
      const int64_t below = n - p0 - pw;
      if (below > 0) {
        gemm<T>(false, true, below, pw, p0, T(-1), a + (p0 + pw) * lda, lda, a + p0 * lda, lda, T(1), app + pw * lda, lda);
      }
    }
    for (int64_t j0 = p0; j0 < p0 + pw; j0 += kPotrfNb) {
      const int64_t jb = std::min(kPotrfNb, p0 + pw - j0), left = j0 - p0;  // panel columns left of j0
      T* ajj = a + j0 * lda + j0;
      const T* lj = a + j0 * lda + p0;  // L[j, p0 : j0]
      if (left > 0) gemm<T>(false, true, jb, jb, left, T(-1), lj, lda, lj, lda, T(1), ajj, lda);
      const int64_t bad = potrf_small(jb, ajj, lda, j0, value);
      if (bad >= 0) return bad;
      const int64_t rest = n - j0 - jb;
      if (rest == 0) break;
      T* aij = a + (j0 + jb) * lda + j0;
      if (left > 0) gemm<T>(false, true, rest, jb, left, T(-1), a + (j0 + jb) * lda + p0, lda, lj, lda, T(1), aij, lda);
      inv.resize(jb * jb);
      tri_inverse(jb, ajj, lda, inv.data());
      tmp.resize(rest * jb);
      for (int64_t i = 0; i < rest; i++) std::memcpy(&tmp[i * jb], aij + i * lda, jb * sizeof(T));
      gemm<T>(false, true, rest, jb, jb, T(1), tmp.data(), jb, inv.data(), jb, T(0), aij, lda);
    }
  }
  for (int64_t i = 0; i < n; i++) std::fill(a + i * lda + i + 1, a + i * lda + n, T(0));
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Triangular solve

/**
 * op(A)·X = alpha·B by blocks of KB rows of X in substitution order: B[I] −= op(A)[I,P]·X[P] over
 * the rows P already solved (GEMM), then the KB×KB diagonal block by substitution with float64 sums.
 */
template <typename T>
void trsm(bool upper, bool trans, bool unit_diag, int64_t m, int64_t n, double alpha, const T* a, int64_t lda, T* b,
  int64_t ldb) {
  if (m <= 0 || n <= 0) return;
  if (alpha != 1.0) {
    for (int64_t i = 0; i < m; i++) {
      T* row = b + i * ldb;
      if (alpha == 0.0) std::fill(row, row + n, T(0));
      else for (int64_t j = 0; j < n; j++) row[j] = static_cast<T>(alpha * row[j]);
    }
    if (alpha == 0.0) return;
  }
  constexpr int64_t KB = 64;
  const bool lower_op = (!upper) != trans;
  const int64_t rs = trans ? 1 : lda, cs = trans ? lda : 1;  // op(A)[i][p] = a[i·rs + p·cs]
  std::vector<double> acc(n);
  const int64_t blocks = (m + KB - 1) / KB;
  for (int64_t t = 0; t < blocks; t++) {
    // Block rows [i0, i1) in substitution order.
    const int64_t bi = lower_op ? t : blocks - 1 - t;
    const int64_t i0 = bi * KB, i1 = std::min(m, i0 + KB), ib = i1 - i0;
    // Solved rows P: [0, i0) (lower) or [i1, m) (upper).
    const int64_t p0 = lower_op ? 0 : i1, p1 = lower_op ? i0 : m;
    if (p1 > p0) {
      const T* opa = a + i0 * rs + p0 * cs;  // op(A)[i0, p0]
      gemm<T>(trans, false, ib, n, p1 - p0, T(-1), opa, lda, b + p0 * ldb, ldb, T(1), b + i0 * ldb, ldb);
    }
    for (int64_t q = 0; q < ib; q++) {
      const int64_t i = lower_op ? i0 + q : i1 - 1 - q;
      T* bi_row = b + i * ldb;
      for (int64_t j = 0; j < n; j++) acc[j] = bi_row[j];
      const int64_t s0 = lower_op ? i0 : i + 1, s1 = lower_op ? i : i1;
      for (int64_t p = s0; p < s1; p++) {
        const double c = a[i * rs + p * cs];
        const T* bp = b + p * ldb;
        for (int64_t j = 0; j < n; j++) acc[j] -= c * bp[j];
      }
      if (unit_diag) {
        for (int64_t j = 0; j < n; j++) bi_row[j] = static_cast<T>(acc[j]);
      } else {
        const double dii = a[i * (lda + 1)];
        for (int64_t j = 0; j < n; j++) bi_row[j] = static_cast<T>(acc[j] / dii);
      }
    }
  }
}

template int64_t potrf<float>(int64_t, float*, int64_t, double*);
template int64_t potrf<double>(int64_t, double*, int64_t, double*);
template void trsm<float>(bool, bool, bool, int64_t, int64_t, double, const float*, int64_t, float*, int64_t);
template void trsm<double>(bool, bool, bool, int64_t, int64_t, double, const double*, int64_t, double*, int64_t);

}  // namespace cv
