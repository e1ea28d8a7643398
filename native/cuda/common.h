// Shared declarations of the CUDA addon (curvature_cuda.node): element types, the failure type every
// host function throws, and the strided-shape descriptor the elementwise kernels take by value.
// Host code only throws cv::cuda::Failure; the N-API glue (addon.cc) turns it into a JavaScript
// error with a `code` the TypeScript backend maps to a typed error (src/backend/cuda/errors.ts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace cv {
namespace cuda {

/** Element types, in the order of the addon's dtype codes (src/backend/cuda/addon.ts DTYPES). */
enum class DType : int { F32 = 0, F64 = 1, I32 = 2 };

inline std::size_t dtype_size(DType d) { return d == DType::F64 ? 8 : 4; }

/**
 * Why a call failed:
 * - Arg: a bad argument reached the addon (the TypeScript checks should have caught it);
 * - Input: data the caller gave is invalid (an index or label out of range, found on the device);
 * - Oom: the device has no memory left even after the allocator released its cache (recoverable);
 * - Launch: a kernel could not be launched (bad configuration; the context is still usable);
 * - Broken: a sticky CUDA error (illegal address, launch failure, …): the context is lost and every
 *   later call fails with the first message — the process lives on, the backend does not.
 */
enum class Kind : int { Arg, Input, Oom, Launch, Broken };

struct Failure : std::runtime_error {
  Kind kind;
  Failure(Kind k, const std::string& msg) : std::runtime_error(msg), kind(k) {}
};

/** Highest rank the strided kernels take after coalescing (the glue refuses more). */
constexpr int kMaxRank = 8;
/** Operands of a strided kernel: where has 3 inputs + the output. */
constexpr int kMaxOperands = 4;

/**
 * A strided iteration space, passed to kernels by value (it lives in the kernel's parameter space).
 * Element idx (row-major over shape) of operand k is at base[k] + Σ_d digit_d(idx)·strides[k][d].
 */
struct StridedArgs {
  int rank;
  int64_t n;  // product of shape
  int64_t shape[kMaxRank];
  int64_t strides[kMaxOperands][kMaxRank];
  int64_t base[kMaxOperands];
};

/** Op codes: the order of UNARY_OPS / BINARY_OPS / REDUCE_OPS in src/backend/native/ops.ts. */
enum class Unary : int {
  Neg, Exp, Log, Tanh, Sigmoid, Sqrt, Abs, Sign, Square, Reciprocal, Log1p, Expm1, Softplus, Erf, Sin,
  Cos, Relu, Step, IsFinite, Count
};
enum class Binary : int { Add, Sub, Mul, Div, Pow, Max, Min, Gt, Ge, Lt, Le, Eq, Ne, Count };
enum class Reduce : int { Sum, Max, Min, Count };

}  // namespace cuda
}  // namespace cv
