// Symmetric eigendecomposition on the device (the Backend's syev; semantics of the js reference,
// src/backend/js/linalg/syev.ts: lower triangle read, ascending eigenvalues, eigenvectors as columns
// with unit length and their first largest-magnitude component positive, InputError on a non-finite
// entry before anything is written, all work in float64).
//
// Algorithm: two-sided cyclic Jacobi with the parallel round-robin ordering (Golub & Van Loan,
// Matrix Computations, 4th ed., §8.5.2 Alg. 8.5.2 symSchur2 for each 2×2 problem, §8.5.5 for the
// parallel ordering; Brent & Luk 1985): each round rotates n/2 disjoint planes (p, q) at once —
// one kernel computes the rotations, one applies them to rows (W ← JᵀW), one to columns (W ← WJ,
// V ← VJ) — and n − 1 rounds make a sweep that meets every pair once. Sweeps repeat until the
// off-diagonal Frobenius norm is below 1e-15 of the whole (quadratic convergence: typically 6–10
// sweeps), at most 40. O(n³) work per sweep in O(n) launches; meant for n up to ~1k.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "device_math.cuh"
#include "kernels.h"
#include "runtime.h"

namespace cv {
namespace cuda {
namespace {

/** W (n×n, full, double) from A's lower triangle; *bad = first non-finite entry i·n + j. */
template <typename T>
__global__ void syev_load_k(const T* a, int64_t lda, int64_t n, double* W, unsigned long long* bad) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = t / n, j = t % n;
    const double v = static_cast<double>(i >= j ? a[i * lda + j] : a[j * lda + i]);
    if (i >= j && !isfinite(v)) atomicMin(bad, static_cast<unsigned long long>(t));
    W[t] = v;
  }
}

__global__ void identity_k(double* V, int64_t n) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    V[t] = t / n == t % n ? 1.0 : 0.0;
  }
}

/** The rotation (c, s) of each pair of this round (GVL Alg. 8.5.2); pairs touching the pad index are identity. */
__global__ void rotations_k(const double* W, int64_t n, const int2* pairs, int64_t npairs, double2* cs) {
  for (int64_t k = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; k < npairs; k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int p = pairs[k].x, q = pairs[k].y;
    double c = 1, s = 0;
    if (p < n && q < n) {
      const double apq = W[static_cast<int64_t>(p) * n + q];
      if (apq != 0) {
        const double tau = (W[static_cast<int64_t>(q) * n + q] - W[static_cast<int64_t>(p) * n + p]) / (2 * apq);
        const double t = tau >= 0 ? 1 / (tau + sqrt(1 + tau * tau)) : -1 / (-tau + sqrt(1 + tau * tau));
        c = 1 / sqrt(1 + t * t);
        s = t * c;
      }
    }
    cs[k] = double2{c, s};
  }
}

/** Rows p, q of W ← Jᵀ·W for every pair: W[p][j] = c·wp − s·wq, W[q][j] = s·wp + c·wq. */
__global__ void rotate_rows_k(double* W, int64_t n, const int2* pairs, int64_t npairs, const double2* cs) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < npairs * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = t / n, j = t % n;
    const int p = pairs[k].x, q = pairs[k].y;
    if (p >= n || q >= n) continue;
    const double c = cs[k].x, s = cs[k].y;
    const double wp = W[p * n + j], wq = W[q * n + j];
    W[p * n + j] = c * wp - s * wq;
    W[q * n + j] = s * wp + c * wq;
  }
}

/** Columns p, q of M ← M·J for every pair (W, and V when vectors are wanted). */
__global__ void rotate_cols_k(double* M, int64_t n, const int2* pairs, int64_t npairs, const double2* cs) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < npairs * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = t / npairs, k = t % npairs;
    const int p = pairs[k].x, q = pairs[k].y;
    if (p >= n || q >= n) continue;
    const double c = cs[k].x, s = cs[k].y;
    const double mp = M[i * n + p], mq = M[i * n + q];
    M[i * n + p] = c * mp - s * mq;
    M[i * n + q] = s * mp + c * mq;
  }
}

/** sums[0] += Σ off-diagonal W², sums[1] += Σ W² (one block-reduced atomic per block). */
__global__ void norms_k(const double* W, int64_t n, double* sums) {
  __shared__ double off[kThreads], all[kThreads];
  double o = 0, a = 0;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double v = W[t] * W[t];
    a += v;
    if (t / n != t % n) o += v;
  }
  off[threadIdx.x] = o;
  all[threadIdx.x] = a;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      off[threadIdx.x] += off[threadIdx.x + s];
      all[threadIdx.x] += all[threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&sums[0], off[0]);
    atomicAdd(&sums[1], all[0]);
  }
}

/**
 * Column j of the output: eigenvalue order[j] into w[j]; with vectors, column order[j] of V stored
 * as T into column j of A, its sign chosen on the stored values (the first largest magnitude positive).
 */
template <typename T>
__global__ void syev_store_k(const double* W, const double* V, int64_t n, const int* order, T* a, int64_t lda, T* w, bool vectors) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < n; j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t src = order[j];
    w[j] = static_cast<T>(W[src * n + src]);
    if (!vectors) continue;
    double big = -1;
    bool flip = false;
    for (int64_t i = 0; i < n; i++) {
      const double x = static_cast<double>(static_cast<T>(V[i * n + src]));
      if (fabs(x) > big) { big = fabs(x); flip = x < 0; }
    }
    for (int64_t i = 0; i < n; i++) {
      const T x = static_cast<T>(V[i * n + src]);
      a[i * lda + j] = flip ? -x : x;
    }
  }
}

/** The round-robin schedule for m (even) players: round r, pair k → (p, q), m − 1 rounds of m/2 pairs. */
std::vector<int> schedule(int m) {
  std::vector<int> out;
  out.reserve(static_cast<std::size_t>(m) * (m - 1));
  std::vector<int> arr(m);
  for (int r = 0; r < m - 1; r++) {
    arr[0] = 0;
    for (int i = 1; i < m; i++) arr[i] = 1 + (i - 1 + r) % (m - 1);
    for (int k = 0; k < m / 2; k++) {
      out.push_back(std::min(arr[k], arr[m - 1 - k]));
      out.push_back(std::max(arr[k], arr[m - 1 - k]));
    }
  }
  return out;
}

/** A device allocation for the duration of one call (through the caching allocator). */
struct Temp {
  uint32_t h = 0;
  Temp(DType dt, int64_t n) : h(buffer_alloc(dt, n)) {}
  ~Temp() { if (h) buffer_free(h); }
  template <typename P> P* ptr() const { return static_cast<P*>(buffer(h).ptr); }
};

template <typename T>
int64_t syev_t(int64_t n, T* a, int64_t lda, T* w, bool vectors) {
  if (n <= 0) return -1;
  if (n > 32767) throw Failure(Kind::Arg, "syev: n too large for the Jacobi solver");
  cudaStream_t st = stream();
  Temp Wt(DType::F64, n * n), Vt(DType::F64, vectors ? n * n : 1);
  double* W = Wt.ptr<double>();
  double* V = Vt.ptr<double>();
  auto* flag = static_cast<unsigned long long*>(scratch(2 * sizeof(double)));
  check(cudaMemsetAsync(flag, 0xff, sizeof(unsigned long long), st), "cudaMemsetAsync (syev)");
  syev_load_k<T><<<grid_for(n * n), kThreads, 0, st>>>(a, lda, n, W, flag);
  check_launch("syev load kernel");
  unsigned long long bad = 0;
  check(cudaMemcpyAsync(&bad, flag, sizeof bad, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync (syev)");
  sync("syev (cudaStreamSynchronize)");
  if (bad != ~0ULL) return static_cast<int64_t>(bad);
  if (vectors) {
    identity_k<<<grid_for(n * n), kThreads, 0, st>>>(V, n);
    check_launch("syev identity kernel");
  }

  const int m = static_cast<int>(n + (n & 1));
  const int64_t npairs = m / 2;
  const std::vector<int> sched = schedule(m);
  Temp pairs_t(DType::I32, static_cast<int64_t>(sched.size()));
  Temp cs_t(DType::F64, 2 * npairs);
  Temp sums_t(DType::F64, 2);
  const int2* pairs = pairs_t.ptr<int2>();
  double2* cs = cs_t.ptr<double2>();
  double* sums = sums_t.ptr<double>();
  check(cudaMemcpyAsync(pairs_t.ptr<int>(), sched.data(), sched.size() * sizeof(int), cudaMemcpyHostToDevice, st), "cudaMemcpyAsync (syev schedule)");

  if (n > 1) {
    for (int sweep = 0; sweep < 40; sweep++) {
      check(cudaMemsetAsync(sums, 0, 2 * sizeof(double), st), "cudaMemsetAsync (syev norms)");
      norms_k<<<grid_for(n * n), kThreads, 0, st>>>(W, n, sums);
      check_launch("syev norms kernel");
      double h[2] = {0, 0};
      check(cudaMemcpyAsync(h, sums, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync (syev norms)");
      sync("syev (cudaStreamSynchronize)");
      if (!(h[0] > 1e-30 * h[1]) || h[0] == 0) break;  // off ≤ 1e-15 · ‖W‖ (squared)
      for (int r = 0; r < m - 1; r++) {
        const int2* pr = pairs + static_cast<int64_t>(r) * npairs;
        rotations_k<<<grid_for(npairs), kThreads, 0, st>>>(W, n, pr, npairs, cs);
        rotate_rows_k<<<grid_for(npairs * n), kThreads, 0, st>>>(W, n, pr, npairs, cs);
        rotate_cols_k<<<grid_for(npairs * n), kThreads, 0, st>>>(W, n, pr, npairs, cs);
        if (vectors) rotate_cols_k<<<grid_for(npairs * n), kThreads, 0, st>>>(V, n, pr, npairs, cs);
        check_launch("syev rotation kernels");
      }
    }
  }

  // Ascending order, ties by index (the reference's sort), decided on the host from the diagonal.
  std::vector<double> diag(static_cast<std::size_t>(n));
  check(cudaMemcpy2DAsync(diag.data(), sizeof(double), W, (n + 1) * sizeof(double), sizeof(double), n, cudaMemcpyDeviceToHost, st), "cudaMemcpy2DAsync (syev diagonal)");
  sync("syev (cudaStreamSynchronize)");
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return diag[x] < diag[y]; });
  Temp order_t(DType::I32, n);
  check(cudaMemcpyAsync(order_t.ptr<int>(), order.data(), n * sizeof(int), cudaMemcpyHostToDevice, st), "cudaMemcpyAsync (syev order)");
  syev_store_k<T><<<grid_for(n), kThreads, 0, st>>>(W, vectors ? V : nullptr, n, order_t.ptr<int>(), a, lda, w, vectors);
  check_launch("syev store kernel");
  // The temporaries go back to the cache; the work queued on them runs first (one stream).
  return -1;
}

}  // namespace

int64_t syev(DType dt, int64_t n, void* a, int64_t lda, void* w, bool vectors) {
  if (dt == DType::F32) return syev_t(n, static_cast<float*>(a), lda, static_cast<float*>(w), vectors);
  if (dt == DType::F64) return syev_t(n, static_cast<double*>(a), lda, static_cast<double*>(w), vectors);
  throw Failure(Kind::Arg, "syev needs float32 or float64");
}

}  // namespace cuda
}  // namespace cv
