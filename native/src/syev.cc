// The symmetric eigensolver of linalg.h (xSYEV), on the packed GEMM of gemm.cc:
//
//   1. Householder tridiagonalisation A = Q·T·Qᵀ, blocked as LAPACK's xSYTRD/xLATRD: a panel of NB
//      reflectors is formed with matrix-vector products against the not-yet-updated trailing
//      matrix plus a correction from the panel, then the trailing matrix takes the rank-2·NB update
//      A ← A − V·Wᵀ − W·Vᵀ as one GEMM (Golub & Van Loan, Matrix Computations, 4th ed., §8.3.1, §5.2.3);
//   2. divide and conquer on T (stedc.cc, xSTEDC; leaves by implicit QL), T = Z·Λ·Zᵀ — for the
//      eigenvalues alone too, so that they are the values the eigenvectors come with;
//   3. the eigenvectors of A, the columns of Q·Z: the reflectors applied to Z by blocks, backwards,
//      in the compact WY form I − Yᵀ·T·Y (xORMTR/xLARFT/xLARFB: three GEMMs per block).
//
// The working type follows the input, as LAPACK's ssyev/dsyev: float64 for float64 input, float32
// for float32 input in the reduction, Q, Z and Q·Z (half the memory traffic of the reduction, twice
// the vector lanes of the GEMMs; residuals ≈ 1e-6·‖A‖ at n = 785–2000, within the float32
// tolerances), while the reflector norms, the scalar work on T (QL, the secular equations) and the
// normalisation stay float64. Threads (pool.h) run the symmetric products and the GEMMs over fixed
// chunks, so the result is bit for bit the same for every thread count.
// Rows serve as columns (row j right of the diagonal is column j below it), so every inner loop runs
// along a contiguous row: the trailing updates compute the lower triangle only (half the flops),
// and each panel first copies its columns from there into its rows.
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu.h"
#include "gemm.h"
#include "pool.h"
#include "scratch.h"
#include "tridiagonal.h"

namespace cv {

namespace {

/** Σ x[i]·y[i] with 8 partial sums (a fixed order, independent of threads). */
template <typename R>
inline double dot(const R* x, const R* y, int64_t len) {
  double part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int q = 0; q < 8; q++) part[q] += static_cast<double>(x[i + q]) * y[i + q];
  for (; i < len; i++) part[0] += static_cast<double>(x[i]) * y[i];
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

/** Runs fn(i0, i1) over [0, count) cut into chunks of `grain` (fixed cuts), threaded when `work` is large. */
template <typename F>
void chunks(int64_t count, int64_t grain, double work, F fn) {
  const int64_t parts = (count + grain - 1) / grain;
  if (parts <= 1 || threads() <= 1 || work < 5e4) {
    for (int64_t p = 0; p < parts; p++) fn(p * grain, std::min(count, (p + 1) * grain));
    return;
  }
  parallel_for(parts, [&](int64_t p) { fn(p * grain, std::min(count, (p + 1) * grain)); });
}


// ---------------------------------------------------------------------------------------------
// The reduction, its symmetric products and the back-transformation

constexpr int64_t kTrdNb = 16;  // reflectors per panel: 16 and 24 measured 1.3 ms faster than 32 at n = 785 (less panel traffic)

constexpr int64_t kSymvRows = 64;
constexpr int kSymvBlock = 8;  // rows of one pass of symv_rows
constexpr int64_t kApplyNb = 64;  // reflectors per block of apply_q (its T from one syrk; 32 measured 8 % slower)

/**
 * y = A·x for the len×len symmetric A at a (ld), reading its lower triangle only (half the memory
 * traffic of a full product, which bounds the reduction): row i gives A[i, :i+1]·x[:i+1] to y[i]
 * and A[i, :i]·x[i] to y[:i]. Rows are cut into fixed chunks of kSymvRows, each accumulating the
 * second kind into its own partial vector; the partials are then added in chunk order, so the
 * result does not depend on which thread ran which chunk.
 */
/**
 * 16 lanes (of a vector the caller stored to d: vectors are not passed across calls, whose vector
 * ABI differs between the ISA clones) summed by a fixed tree.
 */
template <typename R>
inline R sum16(R* d) {
  for (int w = 8; w >= 1; w /= 2)
    for (int u = 0; u < w; u++) d[u] += d[u + w];
  return d[0];
}

/**
 * Rows [r0, r1) of symv_lower into the chunk's partial vector acc, kSymvBlock rows at a time (one
 * pass over acc and x serves them all), 16 lanes per step in GCC vectors: the accumulators stay in
 * registers, and the arithmetic is elementwise, so every ISA clone (CV_SIMD_CLONES) sums alike.
 */
template <typename R>
CV_SIMD_CLONES void symv_rows(int64_t r0, int64_t r1, const R* a, int64_t ld, const R* x, R* acc) {
  constexpr int B = kSymvBlock;
  typedef R V __attribute__((vector_size(16 * sizeof(R))));
  std::fill(acc, acc + r1, R(0));  // this chunk touches acc[0, r1) only
  int64_t i = r0;
  for (; i < r1; i += B) {
    const int rows = static_cast<int>(std::min<int64_t>(B, r1 - i));
    const R* p[B];
    R xi[B];
    for (int r = 0; r < B; r++) {
      p[r] = a + (i + std::min(r, rows - 1)) * ld;  // a short block repeats its last row with weight 0
      xi[r] = r < rows ? x[i + r] : R(0);
    }
    V d[B] = {};
    int64_t k = 0;
    for (; k + 16 <= i; k += 16) {
      V xk, sum;
      std::memcpy(&xk, x + k, sizeof(V));
      std::memcpy(&sum, acc + k, sizeof(V));
      V part = {};
#pragma GCC unroll 8
      for (int r = 0; r < B; r++) {
        V ar;
        std::memcpy(&ar, p[r] + k, sizeof(V));
        d[r] += ar * xk;
        part += ar * xi[r];
      }
      sum += part;
      std::memcpy(acc + k, &sum, sizeof(sum));
    }
    R dot[B];
    for (int r = 0; r < B; r++) {
      R lanes[16];
      std::memcpy(lanes, &d[r], sizeof(V));
      dot[r] = sum16(lanes);
    }
    for (; k < i; k++) {
      R part = 0;
      for (int r = 0; r < B; r++) {
        dot[r] += p[r][k] * x[k];
        part += p[r][k] * xi[r];
      }
      acc[k] += part;
    }
    // The diagonal block: row i+r reaches columns i..i+r.
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < r; c++) {
        dot[r] += p[r][i + c] * x[i + c];
        acc[i + c] += p[r][i + c] * xi[r];
      }
      acc[i + r] += dot[r] + p[r][i + r] * xi[r];
    }
  }
}

template <typename R>
void symv_lower(int64_t len, const R* a, int64_t ld, const R* x, R* y, std::vector<R>& part) {
  const int64_t chunks_n = (len + kSymvRows - 1) / kSymvRows;
  if (part.size() < static_cast<size_t>(chunks_n * len)) part.resize(static_cast<size_t>(chunks_n * len));
  chunks(len, kSymvRows, static_cast<double>(len) * len / 2, [&](int64_t r0, int64_t r1) {
    symv_rows(r0, r1, a, ld, x, part.data() + (r0 / kSymvRows) * len);
  });
  for (int64_t i = 0; i < len; i++) y[i] = 0;
  for (int64_t q = 0; q < chunks_n; q++) {
    const R* acc = part.data() + q * len;
    const int64_t end = std::min(len, (q + 1) * kSymvRows);
    for (int64_t i = 0; i < end; i++) y[i] += acc[i];
  }
}

/** max |x[i]| over [0, len): exact, so the lanes' order does not matter. */
template <typename R>
CV_SIMD_CLONES R max_abs(const R* x, int64_t len) {
  typedef R V __attribute__((vector_size(16 * sizeof(R))));
  V m = {};
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    V a;
    std::memcpy(&a, x + i, sizeof(V));
    a = a < 0 ? -a : a;
    m = a > m ? a : m;
  }
  R r = 0;
  for (int u = 0; u < 16; u++) r = std::max(r, m[u]);
  for (; i < len; i++) r = std::max(r, std::fabs(x[i]));
  return r;
}

/** Whether every x[i] is finite: x·0 is 0 for those, NaN for an infinity or a NaN. */
template <typename R>
CV_SIMD_CLONES bool all_finite(const R* x, int64_t len) {
  R zero[16] = {};
  int64_t i = 0;
  for (; i + 16 <= len; i += 16)
    for (int u = 0; u < 16; u++) zero[u] += x[i + u] * R(0);
  for (; i < len; i++) zero[0] += x[i] * R(0);
  for (int u = 0; u < 16; u++)
    if (zero[u] != 0) return false;
  return true;
}

/**
 * x[i] ← x[i]/s, then Σ x[i]² in float64 (dot's order). Dividing in R gives the bits of the float64
 * quotient rounded to R: double rounding is harmless for division when 53 ≥ 2·24 + 2.
 */
template <typename R>
CV_SIMD_CLONES double scale_sum_squares(R* x, int64_t len, R s) {
  for (int64_t i = 0; i < len; i++) x[i] = x[i] / s;
  return dot(x, x, len);
}

/** x[j..n) −= v_q·w_q[j] + w_q·v_q[j] for the panel's earlier columns q < c (x: column j, not yet updated). */
template <typename R>
CV_SIMD_CLONES void panel_update(int64_t j, int64_t n, int64_t c, const R* V, const R* W, R* x) {
  for (int64_t q = 0; q < c; q++) {
    const R* vq = V + q * n;
    const R* wq = W + q * n;
    const R a1 = wq[j], a2 = vq[j];
    if (a1 == 0 && a2 == 0) continue;
    for (int64_t i = j; i < n; i++) x[i] -= vq[i] * a1 + wq[i] * a2;
  }
}

/** t1[q] = W[q][i0..n)·v, t2[q] = V[q][i0..n)·v for q < c (dot's sums, in the ISA clone's vectors). */
template <typename R>
CV_SIMD_CLONES void panel_dots(int64_t i0, int64_t n, int64_t c, const R* V, const R* W, const R* v, double* t1, double* t2) {
  for (int64_t q = 0; q < c; q++) {
    t1[q] = dot(W + q * n + i0, v, n - i0);
    t2[q] = dot(V + q * n + i0, v, n - i0);
  }
}

/** p[i] ← β·(p[i] − Σ_{q<c} (V[q][i]·t1[q] + W[q][i]·t2[q])) for i in [i0, n), summed in float64 (s scratch). */
template <typename R>
CV_SIMD_CLONES void panel_correction(int64_t i0, int64_t n, int64_t c, const R* V, const R* W, const double* t1,
  const double* t2, double b, R* p, double* s) {
  for (int64_t i = i0; i < n; i++) s[i] = p[i];
  for (int64_t q = 0; q < c; q++) {
    const R* vq = V + q * n;
    const R* wq = W + q * n;
    const double a1 = t1[q], a2 = t2[q];
    for (int64_t i = i0; i < n; i++) s[i] -= vq[i] * a1 + wq[i] * a2;
  }
  for (int64_t i = i0; i < n; i++) p[i] = static_cast<R>(s[i] * b);
}

/**
 * Tridiagonalises the n×n symmetric z (both triangles) in place: d, e receive T; row j of z keeps
 * the reflector v_j at columns j+1..n−1 (P_j = I − beta[j]·v_j·v_jᵀ). See the file comment, step 1.
 */
template <typename R>
void tridiagonalize(int64_t n, R* z, double* d, double* e, double* beta) {
  std::vector<R> vw(2 * kTrdNb * n), wv(2 * kTrdNb * n), p(n), part;
  std::vector<double> s64(n);
  std::vector<double> t1(kTrdNb), t2(kTrdNb);
  for (int64_t k0 = 0; k0 < n - 2; k0 += kTrdNb) {
    const int64_t kb = std::min(kTrdNb, n - 2 - k0);
    R* V = vw.data();            // rows 0..kb−1: v_c
    R* W = vw.data() + kb * n;   // rows kb..2kb−1: w_c
    std::fill(vw.begin(), vw.begin() + 2 * kb * n, R(0));
    // The trailing updates keep the lower triangle only: the panel's rows right of the diagonal
    // (its columns, read along rows below) are refreshed from it first.
    // By tiles of 64 rows, whose kb columns stay in L1 while they are written out along rows.
    for (int64_t i0 = k0 + 1; i0 < n; i0 += 64) {
      const int64_t i1 = std::min(n, i0 + 64);
      for (int64_t c = 0; c < kb; c++) {
        R* row = z + (k0 + c) * n;
        for (int64_t i = std::max(i0, k0 + c + 1); i < i1; i++) row[i] = z[i * n + k0 + c];
      }
    }
    for (int64_t c = 0; c < kb; c++) {
      const int64_t j = k0 + c;
      R* x = z + j * n;  // row j = column j of the current matrix
      panel_update(j, n, c, V, W, x);
      d[j] = x[j];
      const R scale = max_abs(x + j + 1, n - j - 1);
      R* vc = V + c * n;
      R* wc = W + c * n;
      if (scale == 0) {
        e[j] = 0;
        beta[j] = 0;
        continue;  // v_c, w_c stay 0 and row j of z holds zeros right of the diagonal already
      }
      const double ss = scale_sum_squares(x + j + 1, n - j - 1, scale);
      const double alpha = std::sqrt(ss), x0 = x[j + 1], sgn = x0 >= 0 ? 1.0 : -1.0;
      x[j + 1] = static_cast<R>(x0 + sgn * alpha);
      const double b = 1 / (alpha * (alpha + std::fabs(x0)));
      beta[j] = b;
      e[j] = -sgn * alpha * static_cast<double>(scale);
      for (int64_t i = j + 1; i < n; i++) vc[i] = x[i];
      // p = β·A·v over the trailing rows (not yet updated by this panel), minus the panel's part.
      const int64_t len = n - j - 1;
      const R* v = vc + j + 1;
      symv_lower(len, z + (j + 1) * n + j + 1, n, v, p.data() + j + 1, part);
      panel_dots(j + 1, n, c, V, W, v, t1.data(), t2.data());
      panel_correction(j + 1, n, c, V, W, t1.data(), t2.data(), b, p.data(), s64.data());
      const double half = 0.5 * b * dot(p.data() + j + 1, v, len);
      for (int64_t i = j + 1; i < n; i++) wc[i] = static_cast<R>(p[i] - half * vc[i]);
    }
    // Trailing update A[t:, t:] −= [V; W]ᵀ·[W; V] over columns t..n−1, lower triangle only (the
    // update is symmetric; half the flops of the full product).
    const int64_t t = k0 + kb;
    for (int64_t q = 0; q < kb; q++) {
      std::memcpy(wv.data() + q * n, W + q * n, n * sizeof(R));
      std::memcpy(wv.data() + (kb + q) * n, V + q * n, n * sizeof(R));
    }
    gemm_lower<R>(true, false, n - t, 2 * kb, R(-1), vw.data() + t, n, wv.data() + t, n, R(1), z + t * n + t, n);
  }
  if (n >= 2) {
    d[n - 2] = z[(n - 2) * n + n - 2];
    e[n - 2] = z[(n - 1) * n + n - 2];  // below the diagonal: the trailing updates keep the lower triangle
  }
  d[n - 1] = z[n * n - 1];
}

/**
 * x ← Q·x = P_0·P_1·…·P_{n−3}·x for the n×n x (row-major), Q from the reflectors in z's rows: blocks
 * of kApplyNb reflectors applied last to first in the compact WY form I − Yᵀ·T·Y (xORMTR/xLARFT/
 * xLARFB: three GEMMs per block over x's rows s.., all n columns) — 2n³ flops, where forming Q and
 * then multiplying would take 10n³/3.
 */
template <typename R>
void apply_q(int64_t n, const R* z, const double* beta, R* x) {
  const int64_t nref = n - 2;
  if (nref <= 0) return;
  ScratchScope scratch;
  R* y = scratch.take<R>(kApplyNb * (n - 1));
  R* s1 = scratch.take<R>(kApplyNb * n);
  R* s2 = scratch.take<R>(kApplyNb * n);
  std::vector<R> yy, tm, tt;
  std::vector<double> acc;
  const int64_t last = (nref - 1) / kApplyNb * kApplyNb;
  for (int64_t k0 = last; k0 >= 0; k0 -= kApplyNb) {
    const int64_t kb = std::min(kApplyNb, nref - k0), s = k0 + 1, len = n - s;
    std::fill(y, y + kb * len, R(0));
    for (int64_t c = 0; c < kb; c++) {
      const int64_t j = k0 + c;  // row c of Y: v_j at columns j+1.. of z's row j, zeros before
      if (beta[j] != 0) std::memcpy(y + c * len + c, z + j * n + j + 1, (n - j - 1) * sizeof(R));
    }
    // T upper triangular: T[c][c] = β_c, T[0:c, c] = −β_c·T[0:c, 0:c]·(Y[0:c]·y_c), the inner
    // products Y·Yᵀ from one symmetric product. Column c is summed over u ascending into acc[r]
    // from T's rows kept transposed (tt[u][r] = T[r][u]): contiguous, so the loop vectorises.
    yy.resize(kb * kb);
    syrk<R>(false, kb, len, R(1), y, len, yy.data(), kb);
    tm.assign(kb * kb, R(0));
    tt.assign(kb * kb, R(0));
    acc.resize(kb);
    for (int64_t c = 0; c < kb; c++) {
      const double bc = beta[k0 + c];
      tm[c * kb + c] = tt[c * kb + c] = static_cast<R>(bc);
      if (bc == 0) continue;
      std::fill(acc.begin(), acc.begin() + c, 0.0);
      for (int64_t u = 0; u < c; u++) {
        const double yu = yy[u * kb + c];
        const R* tu = tt.data() + u * kb;
        for (int64_t r = 0; r <= u; r++) acc[r] += tu[r] * yu;
      }
      for (int64_t r = 0; r < c; r++) tm[r * kb + c] = tt[c * kb + r] = static_cast<R>(-bc * acc[r]);
    }
    R* xs = x + s * n;
    gemm<R>(false, false, kb, n, len, R(1), y, len, xs, n, R(0), s1, n);
    gemm<R>(false, false, kb, n, kb, R(1), tm.data(), kb, s1, n, R(0), s2, n);
    gemm<R>(true, false, len, n, kb, R(-1), y, len, s2, n, R(1), xs, n);
  }
}

/** acc[j] += row[j]² in float64 (the exact square of an R), for j < n. */
template <typename R>
CV_SIMD_CLONES void add_squares(const R* row, int64_t n, double* acc) {
  for (int64_t j = 0; j < n; j++) acc[j] += static_cast<double>(row[j]) * row[j];
}

/** big[j] ← row[j]·unit[j] (rounded to R) where its magnitude exceeds |big[j]|: the first largest. */
template <typename R>
CV_SIMD_CLONES void track_largest(const R* row, int64_t n, const double* unit, R* big) {
  for (int64_t j = 0; j < n; j++) {
    const R v = static_cast<R>(row[j] * unit[j]);
    big[j] = std::fabs(v) > std::fabs(big[j]) ? v : big[j];
  }
}

/** out[j] = row[j]·unit[j] (rounded to R)·sign[j], sign[j] = ±1 (an exact flip). */
template <typename R>
CV_SIMD_CLONES void scale_row(const R* row, int64_t n, const double* unit, const R* sign, R* out) {
  for (int64_t j = 0; j < n; j++) out[j] = static_cast<R>(row[j] * unit[j]) * sign[j];
}

/** out[j] = a[j]·inv rounded to R (inv a power of two: exact unless it leaves R's range). */
template <typename T, typename R>
CV_SIMD_CLONES void scaled_copy(const T* a, int64_t n, double inv, R* out) {
  for (int64_t j = 0; j < n; j++) out[j] = static_cast<R>(a[j] * inv);
}

}  // namespace

/** The working type of the reduction and the eigenvectors: float for float32 input, else double. */
template <typename T> using E_of = typename std::conditional<std::is_same<T, float>::value, float, double>::type;

template <typename T>
int syev(int64_t n, T* a, int64_t lda, T* w, bool vectors) {
  if (n <= 0) return 0;
  using R = E_of<T>;  // the working type of the reduction, Q and the eigenvectors
  double amax = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!all_finite(a + i * lda, i + 1)) return -1;
    amax = std::max(amax, static_cast<double>(max_abs(a + i * lda, i + 1)));
  }
  // Power-of-two scaling (exact, undone exactly on the eigenvalues), applied in float64 before the
  // rounding to R so that the factor itself cannot overflow float.
  double scale = 1, inv = 1;
  if (amax > 0) {
    const int ex = static_cast<int>(std::min(1023.0, std::max(-1022.0, std::round(std::log2(amax)))));
    scale = std::ldexp(1.0, ex);
    inv = std::ldexp(1.0, -ex);
  }
  // The lower triangle only: the reduction reads nothing else before writing it (file comment).
  // The n×n arrays are scratch kept between calls (scratch.cc: no page faults on the next call).
  ScratchScope scratch;
  R* z = scratch.take_zeroed<R>(n * n);
  for (int64_t i = 0; i < n; i++) scaled_copy(a + i * lda, i + 1, inv, z + i * n);
  std::vector<double> d(n), e(n), beta(std::max<int64_t>(n, 1));
  tridiagonalize(n, z, d.data(), e.data(), beta.data());
  // T = Z·Λ·Zᵀ by divide and conquer (ascending), also for the eigenvalues alone, so that they are
  // the same values either way; the eigenvectors of A are then the columns of Q·Z. Nothing is
  // written to a or w before the last allocation: out of memory leaves them as they were.
  R* zq = scratch.take<R>(n * n);  // stedc writes every entry
  std::vector<double> unit(vectors ? n : 0);
  std::vector<R> big(vectors ? n : 0);
  if (!stedc<R>(n, d.data(), e.data(), zq, n)) return -2;
  if (vectors) apply_q(n, z, beta.data(), zq);
  for (int64_t j = 0; j < n; j++) w[j] = static_cast<T>(d[j] * scale);
  if (!vectors) return 0;

  // Column j of the output is column j of Q·Z normalised (float64 sums) and signed on the stored
  // values (the first component of largest magnitude positive), all by rows.
  std::fill(unit.begin(), unit.end(), 0.0);
  for (int64_t i = 0; i < n; i++) add_squares(zq + i * n, n, unit.data());
  for (int64_t j = 0; j < n; j++) unit[j] = 1 / std::sqrt(unit[j]);
  std::fill(big.begin(), big.end(), R(0));
  for (int64_t i = 0; i < n; i++) track_largest(zq + i * n, n, unit.data(), big.data());
  for (int64_t j = 0; j < n; j++) big[j] = big[j] < 0 ? R(-1) : R(1);
  for (int64_t i = 0; i < n; i++) scale_row(zq + i * n, n, unit.data(), big.data(), a + i * lda);
  return 0;
}

template int syev<float>(int64_t, float*, int64_t, float*, bool);
template int syev<double>(int64_t, double*, int64_t, double*, bool);

}  // namespace cv
