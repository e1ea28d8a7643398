// Dense factorisations on the device, row-major, semantics of the js reference
// (src/backend/js/linalg/potrf.ts, trsm.ts):
// - potrf: in-place lower Cholesky A = L·Lᵀ, the right-looking column algorithm (Golub & Van Loan,
//   Matrix Computations, 4th ed., §4.2, outer-product form): for each column j, one kernel takes the
//   pivot d = A[j][j] (failure when d ≤ 0 or not finite, recorded on the device: later kernels do
//   nothing) and scales the column below by 1/√d; a second updates the trailing lower triangle
//   A[i][k] −= L[i][j]·L[k][j] in parallel. 2n + 1 launches; the failing pivot is read back once.
//   On success the strict upper triangle is zeroed; on failure A is partly overwritten (as the reference).
// - trsm (left side): forward/back substitution (GVL §3.1), one thread per right-hand side (column of
//   B), A's entries read by every thread of a warp at once (broadcast), unknowns accumulated in
//   double like the reference. alpha = 0 zeroes B without reading A (BLAS).
#include <cmath>

#include "device_math.cuh"
#include "kernels.h"
#include "runtime.h"

namespace cv {
namespace cuda {
namespace {

struct PivotFlag {
  long long pivot;  // -1 while every pivot so far was positive
  double value;
};

template <typename T>
__global__ void potrf_column_k(T* a, int64_t lda, int64_t n, int64_t j, PivotFlag* flag) {
  if (flag->pivot >= 0) return;
  const double d = static_cast<double>(a[j * lda + j]);
  if (!(d > 0) || isinf(d)) {
    if (threadIdx.x == 0) { flag->pivot = j; flag->value = d; }
    return;
  }
  const double l = sqrt(d);
  for (int64_t i = j + 1 + threadIdx.x; i < n; i += blockDim.x) a[i * lda + j] = static_cast<T>(static_cast<double>(a[i * lda + j]) / l);
  __syncthreads();  // every thread has read A[j][j] above before it is overwritten
  if (threadIdx.x == 0) a[j * lda + j] = static_cast<T>(l);
}

/** A[i][k] −= L[i][j]·L[k][j] for j < k ≤ i < n; x runs along k (contiguous), y along i. */
template <typename T>
__global__ void potrf_update_k(T* a, int64_t lda, int64_t n, int64_t j, const PivotFlag* flag) {
  if (flag->pivot >= 0) return;
  const int64_t k = j + 1 + blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  for (int64_t i = j + 1 + blockIdx.y * static_cast<int64_t>(blockDim.y) + threadIdx.y; i < n; i += static_cast<int64_t>(gridDim.y) * blockDim.y) {
    if (k > i) continue;
    a[i * lda + k] = static_cast<T>(static_cast<double>(a[i * lda + k]) - static_cast<double>(a[i * lda + j]) * static_cast<double>(a[k * lda + j]));
  }
}

template <typename T>
__global__ void zero_upper_k(T* a, int64_t lda, int64_t n, const PivotFlag* flag) {
  if (flag->pivot >= 0) return;
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = t / n, k = t % n;
    if (k > i) a[i * lda + k] = T(0);
  }
}

template <typename T>
int64_t potrf_t(T* a, int64_t n, int64_t lda, double* value) {
  if (n <= 0) return -1;
  cudaStream_t st = stream();
  auto* flag = static_cast<PivotFlag*>(scratch(sizeof(PivotFlag)));
  const PivotFlag init{-1, 0.0};
  check(cudaMemcpyAsync(flag, &init, sizeof init, cudaMemcpyHostToDevice, st), "cudaMemcpyAsync (potrf flag)");
  // (init is pageable host memory: cudaMemcpyAsync has staged it before returning.)
  for (int64_t j = 0; j < n; j++) {
    potrf_column_k<T><<<1, kThreads, 0, st>>>(a, lda, n, j, flag);
    check_launch("potrf column kernel");
    const int64_t r = n - j - 1;
    if (r > 0) {
      const dim3 block(32, 8);
      const int64_t gy = (r + 7) / 8;
      const dim3 grid(static_cast<unsigned>((r + 31) / 32), static_cast<unsigned>(gy < 65535 ? gy : 65535));
      potrf_update_k<T><<<grid, block, 0, st>>>(a, lda, n, j, flag);
      check_launch("potrf update kernel");
    }
  }
  zero_upper_k<T><<<grid_for(n * n), kThreads, 0, st>>>(a, lda, n, flag);
  check_launch("potrf zero-upper kernel");
  PivotFlag out{};
  check(cudaMemcpyAsync(&out, flag, sizeof out, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync (potrf flag)");
  sync("potrf (cudaStreamSynchronize)");
  if (out.pivot >= 0) *value = out.value;
  return out.pivot;
}

/** op(A)(i, k): A[i][k], or A[k][i] when transposed. */
template <typename T>
__device__ __forceinline__ double op_a(const T* a, int64_t lda, bool trans, int64_t i, int64_t k) {
  return static_cast<double>(trans ? a[k * lda + i] : a[i * lda + k]);
}

template <typename T>
__global__ void trsm_k(bool upper, bool trans, bool unit, int64_t m, int64_t n, double alpha,
                       const T* a, int64_t lda, T* b, int64_t ldb) {
  const int64_t col = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (col >= n) return;
  // op(A) is lower triangular when (lower, no transpose) or (upper, transposed): solve forwards.
  const bool forward = upper == trans;
  for (int64_t step = 0; step < m; step++) {
    const int64_t i = forward ? step : m - 1 - step;
    double s = alpha * static_cast<double>(b[i * ldb + col]);
    if (forward) {
      for (int64_t k = 0; k < i; k++) s -= op_a(a, lda, trans, i, k) * static_cast<double>(b[k * ldb + col]);
    } else {
      for (int64_t k = i + 1; k < m; k++) s -= op_a(a, lda, trans, i, k) * static_cast<double>(b[k * ldb + col]);
    }
    // b[k] for k already solved holds x[k] rounded to T; the reference keeps x in double, so float32
    // results differ by rounding only (well inside the float32 tolerance).
    b[i * ldb + col] = static_cast<T>(unit ? s : s / op_a(a, lda, trans, i, i));
  }
}

template <typename T>
__global__ void zero_block_k(T* b, int64_t m, int64_t n, int64_t ldb) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < m * n; t += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    b[(t / n) * ldb + t % n] = T(0);
  }
}

}  // namespace

int64_t potrf(DType dt, void* a, int64_t n, int64_t lda, double* value) {
  if (dt == DType::F32) return potrf_t(static_cast<float*>(a), n, lda, value);
  if (dt == DType::F64) return potrf_t(static_cast<double*>(a), n, lda, value);
  throw Failure(Kind::Arg, "potrf needs float32 or float64");
}

void trsm(DType dt, bool upper, bool trans, bool unit, int64_t m, int64_t n, double alpha,
          const void* a, int64_t lda, void* b, int64_t ldb) {
  if (m <= 0 || n <= 0) return;
  cudaStream_t st = stream();
  const unsigned blocks = static_cast<unsigned>((n + 127) / 128);
  if (dt == DType::F32) {
    if (alpha == 0) zero_block_k<float><<<grid_for(m * n), kThreads, 0, st>>>(static_cast<float*>(b), m, n, ldb);
    else trsm_k<float><<<blocks, 128, 0, st>>>(upper, trans, unit, m, n, alpha, static_cast<const float*>(a), lda, static_cast<float*>(b), ldb);
  } else if (dt == DType::F64) {
    if (alpha == 0) zero_block_k<double><<<grid_for(m * n), kThreads, 0, st>>>(static_cast<double*>(b), m, n, ldb);
    else trsm_k<double><<<blocks, 128, 0, st>>>(upper, trans, unit, m, n, alpha, static_cast<const double*>(a), lda, static_cast<double*>(b), ldb);
  } else {
    throw Failure(Kind::Arg, "trsm needs float32 or float64");
  }
  check_launch("trsm kernel");
}

}  // namespace cuda
}  // namespace cv
