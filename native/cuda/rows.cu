// Row kernels: gather / scatter-add of rows by int32 index, row-wise softmax / log-softmax and
// cross-entropy, and tanh's derivative through its output. Semantics of the js reference
// (src/backend/js/softmax.ts, activation-grad.ts): computed in double, rows reduced in a fixed
// shared-memory tree (deterministic; the order differs from the reference's, the tolerance covers it).
// Indices and labels are validated on the device by a first kernel before anything is written, so a
// bad index is an InputError that leaves the output untouched.
#include <climits>

#include "device_math.cuh"
#include "kernels.h"
#include "runtime.h"

namespace cv {
namespace cuda {
namespace {

#define CV_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

/** *first = min over positions i < n whose value is outside [0, limit). */
__global__ void check_range_k(const int32_t* v, int64_t n, int64_t limit, unsigned long long* first) {
  CV_GRID_LOOP(i, n) {
    const int32_t x = v[i];
    if (x < 0 || x >= limit) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

/** The first position of v[0..n) outside [0, limit), or -1 (synchronises: the answer is read back). */
int64_t first_out_of_range(const int32_t* v, int64_t n, int64_t limit) {
  if (n <= 0) return -1;
  cudaStream_t st = stream();
  auto* flag = static_cast<unsigned long long*>(scratch(sizeof(unsigned long long)));
  check(cudaMemsetAsync(flag, 0xff, sizeof(unsigned long long), st), "cudaMemsetAsync (index check)");
  check_range_k<<<grid_for(n), kThreads, 0, st>>>(v, n, limit, flag);
  check_launch("index check kernel");
  unsigned long long h = ULLONG_MAX;
  check(cudaMemcpyAsync(&h, flag, sizeof h, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync (index check)");
  sync("index check (cudaStreamSynchronize)");
  return h == ULLONG_MAX ? -1 : static_cast<int64_t>(h);
}

template <typename T>
__global__ void gather_k(const T* src, const int32_t* idx, int64_t n_idx, int64_t row, T* out) {
  CV_GRID_LOOP(t, n_idx * row) {
    const int64_t i = t / row, c = t % row;
    out[t] = src[static_cast<int64_t>(idx[i]) * row + c];
  }
}

template <typename T>
__global__ void scatter_add_k(const T* src, const int32_t* idx, int64_t n_idx, int64_t row, T* out) {
  CV_GRID_LOOP(t, n_idx * row) {
    const int64_t i = t / row, c = t % row;
    atomicAdd(out + static_cast<int64_t>(idx[i]) * row + c, src[t]);
  }
}

/** Block-wide reduction of one double per thread (max skipping NaN, or sum); every thread gets it. */
template <bool kMax>
__device__ double block_reduce(double v, double* sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const double o = sh[threadIdx.x + s];
      sh[threadIdx.x] = kMax ? (o > sh[threadIdx.x] ? o : sh[threadIdx.x]) : sh[threadIdx.x] + o;
    }
    __syncthreads();
  }
  const double r = sh[0];
  __syncthreads();  // sh is reused by the caller's next reduction
  return r;
}

/** The row's max (NaN skipped, as the reference's `x > m`) and Σ exp(x − max) over one block. */
template <typename T>
__device__ void row_stats(const T* x, int64_t cols, double* sh, double& m, double& s) {
  double lm = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const double v = static_cast<double>(x[j]);
    if (v > lm) lm = v;
  }
  m = block_reduce<true>(lm, sh);
  double ls = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) ls += exp(static_cast<double>(x[j]) - m);
  s = block_reduce<false>(ls, sh);
}

template <typename T>
__global__ void softmax_k(const T* x, int64_t rows, int64_t cols, T* out, bool log_) {
  __shared__ double sh[kThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * cols;
    T* orow = out + r * cols;
    double m, s;
    row_stats(xr, cols, sh, m, s);
    if (log_) {
      const double ls = log(s);
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = static_cast<T>((static_cast<double>(xr[j]) - m) - ls);
    } else {
      for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = static_cast<T>(exp(static_cast<double>(xr[j]) - m) / s);
    }
  }
}

template <typename T>
__global__ void cross_entropy_k(const T* z, const int32_t* labels, int64_t rows, int64_t cols, T* out) {
  __shared__ double sh[kThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* zr = z + r * cols;
    double m, s;
    row_stats(zr, cols, sh, m, s);
    if (threadIdx.x == 0) out[r] = static_cast<T>(log(s) - (static_cast<double>(zr[labels[r]]) - m));
  }
}

template <typename T>
__global__ void tanh_grad_k(const T* y, const T* g, T* out, int64_t n) {
  CV_GRID_LOOP(i, n) {
    const double v = static_cast<double>(y[i]);
    out[i] = static_cast<T>(static_cast<double>(g[i]) * (1 - v * v));
  }
}

unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(rows < 65536 ? (rows < 1 ? 1 : rows) : 65536); }

}  // namespace

#define CV_DISPATCH_ALL(dt, CALL)                                \
  switch (dt) {                                                  \
    case DType::F32: { using T = float; CALL; break; }           \
    case DType::F64: { using T = double; CALL; break; }          \
    case DType::I32: { using T = int32_t; CALL; break; }         \
  }
#define CV_DISPATCH_FLOAT(dt, what, CALL)                        \
  switch (dt) {                                                  \
    case DType::F32: { using T = float; CALL; break; }           \
    case DType::F64: { using T = double; CALL; break; }          \
    default: throw Failure(Kind::Arg, what " needs float32 or float64");  \
  }

int64_t gather(DType dt, const void* src, int64_t src_rows, const int32_t* idx, int64_t n_idx, int64_t row, void* out) {
  if (n_idx <= 0 || row <= 0) return -1;
  const int64_t bad = first_out_of_range(idx, n_idx, src_rows);
  if (bad >= 0) return bad;
  cudaStream_t st = stream();
  CV_DISPATCH_ALL(dt, (gather_k<T><<<grid_for(n_idx * row), kThreads, 0, st>>>(static_cast<const T*>(src), idx, n_idx, row, static_cast<T*>(out))));
  check_launch("gather kernel");
  return -1;
}

int64_t scatter_add(DType dt, const void* src, const int32_t* idx, int64_t n_idx, int64_t row, void* out, int64_t out_rows) {
  if (n_idx <= 0 || row <= 0) return -1;
  const int64_t bad = first_out_of_range(idx, n_idx, out_rows);
  if (bad >= 0) return bad;
  cudaStream_t st = stream();
  CV_DISPATCH_FLOAT(dt, "scatterAdd", (scatter_add_k<T><<<grid_for(n_idx * row), kThreads, 0, st>>>(static_cast<const T*>(src), idx, n_idx, row, static_cast<T*>(out))));
  check_launch("scatterAdd kernel");
  return -1;
}

void softmax(DType dt, const void* x, int64_t rows, int64_t cols, void* out, bool log) {
  if (rows <= 0 || cols <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH_FLOAT(dt, "softmax", (softmax_k<T><<<row_blocks(rows), kThreads, 0, st>>>(static_cast<const T*>(x), rows, cols, static_cast<T*>(out), log)));
  check_launch("softmax kernel");
}

int64_t cross_entropy(DType dt, const void* z, const int32_t* labels, int64_t rows, int64_t cols, void* out) {
  if (rows <= 0) return -1;
  const int64_t bad = first_out_of_range(labels, rows, cols);
  if (bad >= 0) return bad;
  cudaStream_t st = stream();
  CV_DISPATCH_FLOAT(dt, "crossEntropy", (cross_entropy_k<T><<<row_blocks(rows), kThreads, 0, st>>>(static_cast<const T*>(z), labels, rows, cols, static_cast<T*>(out))));
  check_launch("crossEntropy kernel");
  return -1;
}

void tanh_grad(DType dt, const void* y, const void* g, void* out, int64_t n) {
  if (n <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH_FLOAT(dt, "tanhGrad", (tanh_grad_k<T><<<grid_for(n), kThreads, 0, st>>>(static_cast<const T*>(y), static_cast<const T*>(g), static_cast<T*>(out), n)));
  check_launch("tanhGrad kernel");
}

}  // namespace cuda
}  // namespace cv
