// Elementwise kernels: fill, cast, unary, strided binary/where/copy (broadcast by stride 0), and
// reductions over the middle axis of [outer, r, inner]. One thread per element, grid-stride loops;
// strided operands are addressed by decomposing the linear index over the (coalesced) shape.
#include <cmath>

#include "device_math.cuh"
#include "kernels.h"
#include "runtime.h"

namespace cv {
namespace cuda {
namespace {

#define CV_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

template <typename T>
__global__ void fill_k(T* p, int64_t n, T v) {
  CV_GRID_LOOP(i, n) p[i] = v;
}

template <typename S, typename D>
__global__ void cast_k(const S* s, D* d, int64_t n) {
  CV_GRID_LOOP(i, n) d[i] = store<D>(static_cast<double>(s[i]));
}

template <typename T>
__global__ void unary_k(Unary op, const T* x, T* out, int64_t n) {
  CV_GRID_LOOP(i, n) out[i] = store<T>(apply_unary(op, static_cast<double>(x[i])));
}

/** Element offsets of operands 0..N-1 for linear index i over args' shape. */
template <int N>
__device__ __forceinline__ void offsets(const StridedArgs& a, int64_t i, int64_t (&off)[N]) {
  if (a.rank <= 1) {  // the common, coalesced case: no 64-bit division
    for (int k = 0; k < N; k++) off[k] = a.base[k] + (a.rank ? i * a.strides[k][0] : 0);
    return;
  }
  for (int k = 0; k < N; k++) off[k] = a.base[k];
  for (int d = a.rank - 1; d >= 0; d--) {
    const int64_t s = a.shape[d];
    const int64_t digit = i % s;
    i /= s;
    for (int k = 0; k < N; k++) off[k] += digit * a.strides[k][d];
  }
}

template <typename T>
__global__ void binary_k(Binary op, StridedArgs args, const T* a, const T* b, T* out) {
  CV_GRID_LOOP(i, args.n) {
    int64_t o[3];
    offsets<3>(args, i, o);
    out[o[2]] = store<T>(apply_binary(op, static_cast<double>(a[o[0]]), static_cast<double>(b[o[1]])));
  }
}

template <typename T>
__global__ void where_k(StridedArgs args, const T* c, const T* a, const T* b, T* out) {
  CV_GRID_LOOP(i, args.n) {
    int64_t o[4];
    offsets<4>(args, i, o);
    out[o[3]] = c[o[0]] != T(0) ? a[o[1]] : b[o[2]];
  }
}

template <typename T>
__global__ void copy_k(StridedArgs args, const T* src, T* dst) {
  CV_GRID_LOOP(i, args.n) {
    int64_t o[2];
    offsets<2>(args, i, o);
    dst[o[1]] = src[o[0]];
  }
}

__device__ __forceinline__ double reduce_init(Reduce op) {
  return op == Reduce::Sum ? 0.0 : op == Reduce::Max ? -INFINITY : INFINITY;
}

/** inner == 1: one block per row of r elements, a shared-memory tree over the block's partials. */
template <typename T>
__global__ void reduce_rows_k(Reduce op, const T* x, int64_t outer, int64_t r, T* out) {
  __shared__ double part[kThreads];
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    double acc = reduce_init(op);
    const T* row = x + o * r;
    for (int64_t k = threadIdx.x; k < r; k += blockDim.x) acc = combine(op, acc, static_cast<double>(row[k]));
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) part[threadIdx.x] = combine(op, part[threadIdx.x], part[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) out[o] = store<T>(part[0]);
    __syncthreads();  // part is rewritten by the next row
  }
}

/** inner > 1: one thread per output (o, i), reading x[o, :, i] (coalesced across i). */
template <typename T>
__global__ void reduce_cols_k(Reduce op, const T* x, int64_t outer, int64_t r, int64_t inner, T* out) {
  CV_GRID_LOOP(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const T* p = x + o * r * inner + i;
    double acc = reduce_init(op);
    for (int64_t k = 0; k < r; k++) acc = combine(op, acc, static_cast<double>(p[k * inner]));
    out[t] = store<T>(acc);
  }
}

}  // namespace

// Dispatch on a dtype: T is bound inside CALL.
#define CV_DISPATCH(dt, CALL)                                   \
  switch (dt) {                                                  \
    case DType::F32: { using T = float; CALL; break; }           \
    case DType::F64: { using T = double; CALL; break; }          \
    case DType::I32: { using T = int32_t; CALL; break; }         \
  }

void fill(DType dt, void* p, int64_t n, double value) {
  if (n <= 0) return;
  cudaStream_t st = stream();
  switch (dt) {  // the value is converted on the host exactly as the device's store<T> would
    case DType::F32: fill_k<float><<<grid_for(n), kThreads, 0, st>>>(static_cast<float*>(p), n, static_cast<float>(value)); break;
    case DType::F64: fill_k<double><<<grid_for(n), kThreads, 0, st>>>(static_cast<double*>(p), n, value); break;
    case DType::I32: {
      // JavaScript's ToInt32 on the host.
      int32_t v = 0;
      if (value == value && value != INFINITY && value != -INFINITY) {
        double t = std::fmod(std::trunc(value), 4294967296.0);
        if (t < 0) t += 4294967296.0;
        v = static_cast<int32_t>(static_cast<uint32_t>(t));
      }
      fill_k<int32_t><<<grid_for(n), kThreads, 0, st>>>(static_cast<int32_t*>(p), n, v);
      break;
    }
  }
  check_launch("fill kernel");
}

template <typename S>
static void cast_from(const S* s, DType ddt, void* d, int64_t n, cudaStream_t st) {
  switch (ddt) {
    case DType::F32: cast_k<S, float><<<grid_for(n), kThreads, 0, st>>>(s, static_cast<float*>(d), n); break;
    case DType::F64: cast_k<S, double><<<grid_for(n), kThreads, 0, st>>>(s, static_cast<double*>(d), n); break;
    case DType::I32: cast_k<S, int32_t><<<grid_for(n), kThreads, 0, st>>>(s, static_cast<int32_t*>(d), n); break;
  }
}

void cast(DType sdt, const void* src, DType ddt, void* dst, int64_t n) {
  if (n <= 0) return;
  cudaStream_t st = stream();
  switch (sdt) {
    case DType::F32: cast_from(static_cast<const float*>(src), ddt, dst, n, st); break;
    case DType::F64: cast_from(static_cast<const double*>(src), ddt, dst, n, st); break;
    case DType::I32: cast_from(static_cast<const int32_t*>(src), ddt, dst, n, st); break;
  }
  check_launch("cast kernel");
}

void unary(Unary op, DType dt, const void* x, void* out, int64_t n) {
  if (n <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH(dt, (unary_k<T><<<grid_for(n), kThreads, 0, st>>>(op, static_cast<const T*>(x), static_cast<T*>(out), n)));
  check_launch("unary kernel");
}

void binary(Binary op, DType dt, const StridedArgs& args, const void* a, const void* b, void* out) {
  if (args.n <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH(dt, (binary_k<T><<<grid_for(args.n), kThreads, 0, st>>>(op, args, static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out))));
  check_launch("binary kernel");
}

void where(DType dt, const StridedArgs& args, const void* c, const void* a, const void* b, void* out) {
  if (args.n <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH(dt, (where_k<T><<<grid_for(args.n), kThreads, 0, st>>>(args, static_cast<const T*>(c), static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out))));
  check_launch("where kernel");
}

void copy(DType dt, const StridedArgs& args, const void* src, void* dst) {
  if (args.n <= 0) return;
  cudaStream_t st = stream();
  CV_DISPATCH(dt, (copy_k<T><<<grid_for(args.n), kThreads, 0, st>>>(args, static_cast<const T*>(src), static_cast<T*>(dst))));
  check_launch("copy kernel");
}

void reduce(Reduce op, DType dt, const void* x, int64_t outer, int64_t r, int64_t inner, void* out) {
  if (outer <= 0 || inner <= 0) return;
  cudaStream_t st = stream();
  if (inner == 1) {
    const unsigned blocks = static_cast<unsigned>(outer < 65536 ? outer : 65536);
    CV_DISPATCH(dt, (reduce_rows_k<T><<<blocks, kThreads, 0, st>>>(op, static_cast<const T*>(x), outer, r, static_cast<T*>(out))));
  } else {
    CV_DISPATCH(dt, (reduce_cols_k<T><<<grid_for(outer * inner), kThreads, 0, st>>>(op, static_cast<const T*>(x), outer, r, inner, static_cast<T*>(out))));
  }
  check_launch("reduce kernel");
}

}  // namespace cuda
}  // namespace cv
