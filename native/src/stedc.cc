// Divide and conquer for the symmetric tridiagonal eigenproblem (see tridiagonal.h), as LAPACK's
// xSTEDC/xLAED0–4:
//
//   1. Split (Cuppen 1981): T = diag(T₁, T₂) + |β|·v·vᵀ with β = e[m−1], v = e_{m−1} + sign(β)·e_m,
//      T₁, T₂ having |β| taken off their touching diagonal entries; solve both halves recursively
//      (leaves of ≤ kLeaf rows by implicit QL), so T = Q·(D + ρ·z·zᵀ)·Qᵀ with Q = diag(Q₁, Q₂),
//      z = Qᵀv/√2 (unit length) and ρ = 2|β|.
//   2. Deflation (Dongarra & Sorensen 1987; dlaed2): a component with ρ·|zⱼ| below the tolerance, or
//      a pair of nearly equal dⱼ whose z components a plane rotation can merge, gives an eigenpair of
//      the merged problem at once.
//   3. The K remaining eigenvalues are the roots of the secular equation
//      f(λ) = 1/ρ + Σⱼ zⱼ²/(dⱼ − λ), one in each (dᵢ, dᵢ₊₁) and the last in (d_K, d_K + ρ‖z‖²), found
//      in coordinates relative to the nearer pole (so that every dⱼ − λᵢ is accurate) by the
//      two-pole rational model of Li's "middle way" (R.-C. Li, LAPACK Working Note 89, 1994; dlaed4),
//      safeguarded by bisection inside a bracket that every evaluation narrows.
//   4. Eigenvectors by Gu & Eisenstat (SIAM J. Matrix Anal. Appl. 16(1), 1995, §3): the ẑ for which
//      the computed roots are exact, ẑⱼ² ∝ Πᵢ(λᵢ − dⱼ) / Π_{i≠j}(dᵢ − dⱼ), then uᵢ = (ẑⱼ/(dⱼ − λᵢ))ⱼ
//      normalised — orthogonal to working precision however close the roots are. The merged
//      eigenvectors are Q·U, one GEMM (gemm.h).
//
// Everything scalar runs in float64 (the secular roots to float64 accuracy); the eigenvector
// matrices, the rotations and the GEMMs in R, and the deflation tolerance is R's unit roundoff, as
// in LAPACK's single- and double-precision routines.
// The secular roots of a merge are spread over the thread pool in fixed pieces, and the GEMMs split
// as gemm.h does, so the result does not depend on the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "gemm.h"
#include "pool.h"
#include "scratch.h"
#include "tridiagonal.h"

namespace cv {
namespace {

/** A QL sweep's plane rotations: planes l..m−1, their cosines and sines from index off. */
struct Sweep { int64_t l, m, off; };

constexpr double kU = 1.1102230246251565e-16;        // 2⁻⁵³
constexpr double kSafmin = 2.2250738585072014e-308;  // 2⁻¹⁰²²

inline double hyp(double x, double y) {
  const double t = x * x + y * y;
  if (t > 1e-290 && t < 1e290) return std::sqrt(t);
  return std::hypot(x, y);
}

/**
 * Implicit QL with Wilkinson shifts on (d, e) (tql2, as src/backend/js/linalg/tridiagonalQl.ts): d
 * receives the eigenvalues (unsorted), e is destroyed, and the rotations of every step are appended
 * (planes l..m−1, c and s indexed by plane − l). Returns false past 30·n steps.
 */
bool tridiagonal_ql(int64_t n, double* d, double* e, std::vector<Sweep>& sweeps, std::vector<double>& cs,
  std::vector<double>& sn) {
  const int64_t max_iter = 30 * n;
  int64_t iter = 0;
  for (int64_t l = 0; l < n; l++) {
    for (;;) {
      int64_t m = l;
      while (m < n - 1) {
        if (std::fabs(e[m]) <= kU * (std::fabs(d[m]) + std::fabs(d[m + 1])) + kSafmin) {
          e[m] = 0;
          break;
        }
        m++;
      }
      if (m == l) break;
      if (++iter > max_iter) return false;
      const double el = e[l], delta = (d[l + 1] - d[l]) / 2, h = hyp(delta, el);
      const double mu = d[l] - el * (el / (delta + (delta >= 0 ? h : -h)));
      const int64_t off = static_cast<int64_t>(cs.size());
      sweeps.push_back({l, m, off});
      cs.resize(off + (m - l));
      sn.resize(off + (m - l));
      double bulge = 0;
      for (int64_t i = m - 1; i >= l; i--) {
        double x, y;
        if (i == m - 1) { x = e[i]; y = d[m] - mu; }
        else { x = bulge; y = e[i + 1]; }
        const double r = hyp(x, y);
        double c = 1, s = 0;
        if (r != 0) { c = y / r; s = x / r; }
        if (i < m - 1) e[i + 1] = r;
        const double a = d[i], b = e[i], g = d[i + 1];
        const double cc = c * c, ss = s * s, cs2 = 2 * c * s * b;
        d[i] = cc * a - cs2 + ss * g;
        d[i + 1] = ss * a + cs2 + cc * g;
        e[i] = c * s * (a - g) + (cc - ss) * b;
        if (i > l) {
          const double f = e[i - 1];
          e[i - 1] = c * f;
          bulge = s * f;
        }
        cs[off + (i - l)] = c;
        sn[off + (i - l)] = s;
      }
    }
  }
  return true;
}


constexpr int64_t kLeaf = 32;                        // rows solved by QL directly
constexpr int kMaxSecularSteps = 200;
constexpr int64_t kRootsPerTask = 32;                // secular roots per thread-pool task

/** A leaf: QL with its rotations applied to the identity, eigenpairs sorted ascending. */
template <typename R>
bool leaf(int64_t n, double* d, double* e, R* q, int64_t ldq) {
  std::vector<Sweep> sweeps;
  std::vector<double> cs, sn;
  if (!tridiagonal_ql(n, d, e, sweeps, cs, sn)) return false;
  // zt: row j = column j of Z; (z_i, z_{i+1}) ← (c·z_i − s·z_{i+1}, s·z_i + c·z_{i+1}), as rotate.h.
  std::vector<double> zt(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; i++) zt[i * n + i] = 1;
  for (const Sweep& w : sweeps) {
    for (int64_t i = w.m - 1; i >= w.l; i--) {
      const double c = cs[w.off + (i - w.l)], s = sn[w.off + (i - w.l)];
      double* zi = &zt[i * n];
      double* zj = zi + n;
      for (int64_t r = 0; r < n; r++) {
        const double x = zi[r], y = zj[r];
        zj[r] = s * x + c * y;
        zi[r] = c * x - s * y;
      }
    }
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return d[a] < d[b]; });
  std::vector<double> sorted(n);
  for (int64_t j = 0; j < n; j++) {
    sorted[j] = d[order[j]];
    for (int64_t r = 0; r < n; r++) q[r * ldq + j] = static_cast<R>(zt[order[j] * n + r]);
  }
  std::copy(sorted.begin(), sorted.end(), d);
  return true;
}

/**
 * Root i of f(λ) = 1/ρ + Σⱼ zⱼ²/(dⱼ − λ) over the K ascending, distinct poles d: returns λᵢ and
 * writes dⱼ − λᵢ for every j to delta (each as (dⱼ − d_origin) − τ, the origin the pole nearer the
 * root), stopping at f's rounding error in float64 — also for float32 eigenvectors, whose residual
 * grows about tenfold when the roots are only float32-accurate. Returns false if the iteration did
 * not settle.
 */
bool secular_root(int64_t K, int64_t i, const double* d, const double* z, double rho, double* delta, double* lambda) {
  constexpr double eps = 1.1102230246251565e-16;  // 2⁻⁵³: roots to float64 accuracy whatever R
  const double inv_rho = 1 / rho;
  if (K == 1) {
    *lambda = d[0] + rho * z[0] * z[0];
    delta[0] = -rho * z[0] * z[0];
    return true;
  }
  int64_t origin, left, right;  // the two poles of the model: left ≤ i < right, except for the last root
  double lo, hi;
  if (i < K - 1) {
    const double gap = d[i + 1] - d[i];
    double fmid = inv_rho;
    for (int64_t j = 0; j < K; j++) fmid += z[j] * z[j] / ((d[j] - d[i]) - gap / 2);
    left = i;
    right = i + 1;
    if (fmid >= 0) { origin = i; lo = 0; hi = gap / 2; }
    else { origin = i + 1; lo = -gap / 2; hi = 0; }
  } else {
    double zz = 0;
    for (int64_t j = 0; j < K; j++) zz += z[j] * z[j];
    left = K - 2;
    right = K - 1;
    origin = K - 1;
    lo = 0;
    hi = rho * zz;
  }
  const double base = d[origin];
  for (int64_t j = 0; j < K; j++) delta[j] = d[j] - base;  // Δⱼ, exact near the origin
  double tau = (lo + hi) / 2;
  bool settled = false;
  for (int step = 0; step < kMaxSecularSteps && !settled; step++) {
    double psi = 0, dpsi = 0, phi = 0, dphi = 0;
    for (int64_t j = 0; j <= left; j++) {
      const double t = z[j] / (delta[j] - tau);
      psi += z[j] * t;
      dpsi += t * t;
    }
    for (int64_t j = left + 1; j < K; j++) {
      const double t = z[j] / (delta[j] - tau);
      phi += z[j] * t;
      dphi += t * t;
    }
    const double f = inv_rho + psi + phi;
    // f is increasing between the poles: its sign says on which side of τ the root lies.
    if (f < 0) lo = tau;
    else hi = tau;
    const double err = 8 * K * eps * (inv_rho + std::fabs(phi) + std::fabs(psi)) + eps * std::fabs(tau) * (dpsi + dphi);
    if (f == 0 || std::fabs(f) <= err || hi - lo <= 4 * eps * std::max(std::fabs(lo), std::fabs(hi))) {
      settled = true;
      break;
    }
    // Li's model: f ≈ C + b/(δ_left − η) + s/(δ_right − η) around τ, matching ψ, ψ' and φ, φ'; its
    // roots in η solve A·η² − B·η + Cq = 0 (Cq = δ_left·δ_right·f).
    const double dl = delta[left] - tau, dr = delta[right] - tau;
    const double b = dpsi * dl * dl, s = dphi * dr * dr;
    const double A = f - dpsi * dl - dphi * dr;
    const double B = A * (dl + dr) + b + s, Cq = dl * dr * f;
    const double disc = std::sqrt(std::max(0.0, B * B - 4 * A * Cq));
    const double qq = B + (B >= 0 ? disc : -disc);
    double next = (lo + hi) / 2;
    double best = INFINITY;
    for (const double eta : {qq != 0 ? 2 * Cq / qq : NAN, A != 0 ? qq / (2 * A) : NAN}) {
      const double t = tau + eta;
      if (std::isfinite(t) && t > lo && t < hi && std::fabs(eta) < best) {
        best = std::fabs(eta);
        next = t;
      }
    }
    if (next == tau) settled = true;  // no representable step left
    tau = next;
  }
  if (!settled) return false;
  for (int64_t j = 0; j < K; j++) delta[j] -= tau;
  *lambda = base + tau;
  return true;
}

/**
 * Merges the solved halves: on entry d[0..m) and d[m..n) are the halves' eigenvalues ascending and
 * q = diag(Q₁, Q₂); beta the coupling e[m−1]. On return d, q hold T's eigenpairs ascending.
 */
template <typename R>
bool merge(int64_t n, int64_t m, double beta, double* d, R* q, int64_t ldq) {
  const double rho = 2 * std::fabs(beta), sg = beta >= 0 ? 1.0 : -1.0, r2 = 1 / std::sqrt(2.0);
  // The halves' eigenvalues in one ascending order (a merge of two sorted runs); col[k] is the
  // column of q that goes with the k-th.
  std::vector<int64_t> col(n);
  {
    int64_t a = 0, b = m, k = 0;
    while (a < m || b < n) col[k++] = (b >= n || (a < m && d[a] <= d[b])) ? a++ : b++;
  }
  std::vector<double> dd(n), zz(n);
  for (int64_t k = 0; k < n; k++) {
    const int64_t c = col[k];
    dd[k] = d[c];
    zz[k] = c < m ? r2 * static_cast<double>(q[(m - 1) * ldq + c]) : sg * r2 * static_cast<double>(q[m * ldq + c]);
  }
  double dmax = 0, zmax = 0;
  for (int64_t k = 0; k < n; k++) {
    dmax = std::max(dmax, std::fabs(dd[k]));
    zmax = std::max(zmax, std::fabs(zz[k]));
  }
  // The unit roundoff of R (2⁻²⁴ for float, 2⁻⁵³ for double, as LAPACK's xLAMCH('E') in sstedc /
  // dstedc): deflation resolves what R's eigenvectors can hold (a 785×785 float32 factor of
  // W-EKFAC keeps 65 of 785 components at the top merge, 679 at float64's tolerance).
  const double eps = std::numeric_limits<R>::epsilon() / 2;
  const double tol = 8 * eps * std::max(dmax, zmax);
  // Deflation (dlaed2): kept[] the components that stay in the secular equation.
  std::vector<int64_t> kept, deflated;
  int64_t prev = -1;
  for (int64_t k = 0; k < n; k++) {
    if (rho * std::fabs(zz[k]) <= tol) {
      deflated.push_back(k);
      continue;
    }
    if (prev < 0) {
      prev = k;
      continue;
    }
    double s = zz[prev], c = zz[k];
    const double tau = std::hypot(c, s), t = dd[k] - dd[prev];
    c /= tau;
    s = -s / tau;
    if (std::fabs(t * c * s) <= tol) {
      // A rotation of the pair zeroes z[prev]: (q_prev, q_k) ← (c·q_prev + s·q_k, c·q_k − s·q_prev).
      zz[k] = tau;
      zz[prev] = 0;
      R* qp = q + col[prev];
      R* qk = q + col[k];
      const R cr = static_cast<R>(c), sr = static_cast<R>(s);
      for (int64_t r = 0; r < n; r++) {
        const R x = qp[r * ldq], y = qk[r * ldq];
        qp[r * ldq] = cr * x + sr * y;
        qk[r * ldq] = cr * y - sr * x;
      }
      const double dp = dd[prev] * c * c + dd[k] * s * s;
      dd[k] = dd[prev] * s * s + dd[k] * c * c;
      dd[prev] = dp;
      deflated.push_back(prev);
    } else {
      kept.push_back(prev);
    }
    prev = k;
  }
  if (prev >= 0) kept.push_back(prev);

  const int64_t K = static_cast<int64_t>(kept.size());
  std::vector<double> lam(K);
  ScratchScope scratch;  // the K×K and n×K arrays: kept between calls (scratch.cc)
  R* prod = scratch.take<R>(n * K);  // the new eigenvectors of the kept part, [n, K]
  if (K > 0) {
    std::vector<double> dk(K), zk(K);
    double* delta = scratch.take<double>(K * K);  // delta[i·K + j] = d_j − λ_i (secular_root writes row i)
    for (int64_t j = 0; j < K; j++) {
      dk[j] = dd[kept[j]];
      zk[j] = zz[kept[j]];
    }
    // The roots are independent: pieces of kRootsPerTask over the threads (each root's arithmetic
    // is the same whoever runs it).
    std::atomic<bool> settled{true};
    const int64_t pieces = (K + kRootsPerTask - 1) / kRootsPerTask;
    parallel_for(pieces, [&](int64_t piece) {
      for (int64_t i = piece * kRootsPerTask; i < std::min(K, (piece + 1) * kRootsPerTask); i++)
        if (!secular_root(K, i, dk.data(), zk.data(), rho, &delta[i * K], &lam[i])) settled = false;
    });
    if (!settled) return false;
    // Gu–Eisenstat: ẑ_j² ∝ (λ_j − d_j)·Π_{i≠j} (λ_i − d_j)/(d_i − d_j); ρ cancels in the normalisation.
    std::vector<double> zh(K);
    for (int64_t j = 0; j < K; j++) {
      double w = -delta[j * K + j];
      for (int64_t i = 0; i < K; i++)
        if (i != j) w *= -delta[i * K + j] / (dk[i] - dk[j]);
      zh[j] = std::copysign(std::sqrt(std::max(w, 0.0)), zk[j]);
    }
    // U [K, K] row-major: U[j][i] = ẑ_j / (d_j − λ_i), columns normalised.
    R* u = scratch.take<R>(K * K);  // every entry written below
    std::vector<double> colv(K);
    for (int64_t i = 0; i < K; i++) {
      double ss = 0;
      for (int64_t j = 0; j < K; j++) {
        colv[j] = zh[j] / delta[i * K + j];
        ss += colv[j] * colv[j];
      }
      const double inv = 1 / std::sqrt(ss);
      for (int64_t j = 0; j < K; j++) u[j * K + i] = static_cast<R>(colv[j] * inv);
    }
    // Q_kept [n, K] (the kept columns, gathered row by row) · U.
    R* qk = scratch.take<R>(n * K);
    for (int64_t r = 0; r < n; r++)
      for (int64_t j = 0; j < K; j++) qk[r * K + j] = q[r * ldq + col[kept[j]]];
    gemm<R>(false, false, n, K, K, R(1), qk, K, u, K, R(0), prod, K);
  }
  // The merged eigenpairs ascending: source[j] ≥ 0 is column source[j] of q (deflated), else column
  // −1 − source[j] of prod; then every row of q is rebuilt from its own row (row-local gathers).
  std::vector<std::pair<double, int64_t>> pairs;
  pairs.reserve(n);
  for (int64_t i = 0; i < K; i++) pairs.push_back({lam[i], -1 - i});
  for (const int64_t k : deflated) pairs.push_back({dd[k], col[k]});
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<R> row(n);
  for (int64_t j = 0; j < n; j++) d[j] = pairs[j].first;
  for (int64_t r = 0; r < n; r++) {
    R* qr = q + r * ldq;
    const R* pr = prod + r * K;
    for (int64_t j = 0; j < n; j++) {
      const int64_t src = pairs[j].second;
      row[j] = src >= 0 ? qr[src] : pr[-1 - src];
    }
    std::memcpy(qr, row.data(), n * sizeof(R));
  }
  return true;
}

template <typename R>
bool solve(int64_t n, double* d, double* e, R* q, int64_t ldq) {
  if (n <= kLeaf) return leaf(n, d, e, q, ldq);
  const int64_t m = n / 2;
  const double beta = e[m - 1], rb = std::fabs(beta);
  d[m - 1] -= rb;
  d[m] -= rb;
  for (int64_t r = 0; r < m; r++) std::fill(q + r * ldq + m, q + r * ldq + n, R(0));
  for (int64_t r = m; r < n; r++) std::fill(q + r * ldq, q + r * ldq + m, R(0));
  if (!solve(m, d, e, q, ldq) || !solve(n - m, d + m, e + m, q + m * ldq + m, ldq)) return false;
  return merge(n, m, beta, d, q, ldq);
}

}  // namespace

template <typename R>
bool stedc(int64_t n, double* d, double* e, R* q, int64_t ldq) {
  if (n <= 0) return true;
  return solve(n, d, e, q, ldq);
}

template bool stedc<float>(int64_t, double*, double*, float*, int64_t);
template bool stedc<double>(int64_t, double*, double*, double*, int64_t);

}  // namespace cv
