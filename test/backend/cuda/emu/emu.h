// Force-included (g++ -include) into every CUDA source compiled for the CPU emulator: the CUDA
// keywords as C++, threadIdx/blockIdx of the emulated thread, __syncthreads as a coroutine barrier,
// and emu::launch, which run.mjs's preprocessing puts in place of every `kernel<<<cfg>>>(args)`.
// Blocks run one after another; a block's threads are coroutines (ucontext) that run in turn until
// each reaches a barrier or returns, so `static` (for __shared__) is exactly one block's shared memory.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <tuple>
#include <vector>

#include "cuda_runtime.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define CV_EMULATOR 1

using std::isfinite;
using std::isinf;
using std::isnan;

namespace emu {
struct ThreadState { uint3 tid; };
extern uint3 g_block, g_tid;
extern dim3 g_grid_dim, g_block_dim;
/** Yields the current emulated thread until every thread of the block has arrived. */
void syncthreads();
/** Runs body() as the kernel of every thread of every block of grid × block. */
void run_grid(dim3 grid, dim3 block, const std::function<void()>& body);

struct Cfg {
  dim3 grid, block;
  Cfg(dim3 g, dim3 b, std::size_t = 0, cudaStream_t = nullptr) : grid(g), block(b) {}
};
template <typename F, typename... A>
void launch(Cfg cfg, F f, A... args) {
  std::tuple<A...> t(args...);
  run_grid(cfg.grid, cfg.block, [&] { std::apply(f, t); });
}
}  // namespace emu

#define threadIdx (emu::g_tid)
#define blockIdx (emu::g_block)
#define blockDim (emu::g_block_dim)
#define gridDim (emu::g_grid_dim)
#define __syncthreads() emu::syncthreads()

inline double __longlong_as_double(long long v) { double d; std::memcpy(&d, &v, 8); return d; }
inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
inline double atomicAdd(double* p, double v) { double o = *p; *p = o + v; return o; }
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) { unsigned long long o = *p; if (v < o) *p = v; return o; }
