// The emulator's scheduler and runtime (see emu.h and cuda_runtime.h).
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "emu.h"

namespace emu {
uint3 g_block, g_tid;
dim3 g_grid_dim, g_block_dim;

namespace {
constexpr std::size_t kStack = 256 * 1024;
struct Co {
  ucontext_t ctx;
  std::vector<char> stack;
  bool done = false;
  uint3 tid;
};
ucontext_t g_sched;
Co* g_cur = nullptr;
const std::function<void()>* g_body = nullptr;
std::vector<Co> g_pool;

void trampoline() {
  (*g_body)();
  g_cur->done = true;
  // returning continues at uc_link (the scheduler)
}
}  // namespace

bool g_direct = false;        // running threads as plain calls (the block's first thread met no barrier)
bool g_synced = false;        // the current block's coroutine thread reached a barrier

void syncthreads() {
  if (g_direct) {
    std::fprintf(stderr, "emu: a barrier in a thread after the block's first thread ran without one (non-uniform __syncthreads)\n");
    std::abort();
  }
  g_synced = true;
  Co* me = g_cur;
  swapcontext(&me->ctx, &g_sched);
}

void run_grid(dim3 grid, dim3 block, const std::function<void()>& body) {
  const unsigned nt = block.x * block.y * block.z;
  if (g_pool.size() < nt) g_pool.resize(nt);
  g_grid_dim = grid;
  g_block_dim = block;
  g_body = &body;
  // EMU_ORDER=reverse runs the threads of each barrier interval last-to-first, which exposes a read
  // and a write of shared memory between the same two barriers (a race on the GPU) as a new result.
  static const bool reverse = std::getenv("EMU_ORDER") && std::string(std::getenv("EMU_ORDER")) == "reverse";
  auto tid_of = [&](unsigned t) { return uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)}; };
  auto start = [&](unsigned t) {
    Co& c = g_pool[t];
    if (c.stack.size() != kStack) c.stack.assign(kStack, 0);
    c.done = false;
    c.tid = tid_of(t);
    getcontext(&c.ctx);
    c.ctx.uc_stack.ss_sp = c.stack.data();
    c.ctx.uc_stack.ss_size = kStack;
    c.ctx.uc_link = &g_sched;
    makecontext(&c.ctx, trampoline, 0);
  };
  auto resume = [&](unsigned t) {
    Co& c = g_pool[t];
    g_cur = &c;
    g_tid = c.tid;
    swapcontext(&g_sched, &c.ctx);
  };
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        g_block = uint3{bx, by, bz};
        // The block's first thread runs as a coroutine. If it ends without meeting a barrier, the
        // kernel has none in this block (barriers are block-uniform in these kernels; a violation
        // aborts), and the other threads run as plain calls — much faster than coroutines.
        const unsigned first = reverse ? nt - 1 : 0;
        start(first);
        g_synced = false;
        resume(first);
        if (g_pool[first].done && !g_synced) {
          g_direct = true;
          for (unsigned q = 1; q < nt; q++) {
            g_tid = tid_of(reverse ? nt - 1 - q : q);
            body();
          }
          g_direct = false;
          continue;
        }
        for (unsigned t = 0; t < nt; t++) if (t != first) start(t);
        // Rounds: the other threads catch up to the first barrier, then every thread runs to its
        // next barrier or its end, round after round.
        for (unsigned q = 1; q < nt; q++) resume(reverse ? nt - 1 - q : q);
        for (bool live = true; live;) {
          live = false;
          for (unsigned q = 0; q < nt; q++) {
            const unsigned t = reverse ? nt - 1 - q : q;
            if (g_pool[t].done) continue;
            resume(t);
            if (!g_pool[t].done) live = true;
          }
        }
      }
}
}  // namespace emu

// --- runtime ------------------------------------------------------------------------------------
namespace {
constexpr std::size_t kDeviceBytes = std::size_t(1) << 30;
std::size_t g_used = 0;
std::map<void*, std::pair<void*, std::size_t>> g_maps;  // user pointer → (mapping, mapping size)
cudaError_t g_last = cudaSuccess;
cudaError_t ret(cudaError_t e) { if (e != cudaSuccess) g_last = e; return e; }
}  // namespace

const char* cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : e == cudaErrorMemoryAllocation ? "cudaErrorMemoryAllocation" : "cudaErrorEmulated"; }
const char* cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : e == cudaErrorMemoryAllocation ? "out of memory" : "emulated error"; }
cudaError_t cudaGetLastError() { cudaError_t e = g_last; g_last = cudaSuccess; return e; }
cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::snprintf(p->name, sizeof p->name, "CPU emulator of the CUDA kernels");
  p->major = 9; p->minor = 0; p->totalGlobalMem = kDeviceBytes;
  p->multiProcessorCount = 132;  // an H100's, so that split-K GEMM is exercised
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int* v) { *v = 0; return cudaSuccess; }
cudaError_t cudaRuntimeGetVersion(int* v) { *v = 0; return cudaSuccess; }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { *s = reinterpret_cast<cudaStream_t>(1); return cudaSuccess; }
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaMalloc(void** p, std::size_t bytes) {
  if (g_used + bytes > kDeviceBytes) return ret(cudaErrorMemoryAllocation);
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t body = (bytes + page - 1) / page * page;
  char* m = static_cast<char*>(mmap(nullptr, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (m == MAP_FAILED) return ret(cudaErrorMemoryAllocation);
  mprotect(m + body, page, PROT_NONE);  // the guard page right after the block
  char* user = m + body - bytes;         // the block ends at the guard page
  std::memset(user, 0xA5, bytes);        // garbage, like fresh device memory
  g_maps[user] = {m, body + page};
  g_used += bytes;
  *p = user;
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  auto it = g_maps.find(p);
  if (it == g_maps.end()) return ret(cudaErrorInvalidValue);
  g_used -= (it->second.second - static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) - (static_cast<char*>(p) - static_cast<char*>(it->second.first));
  munmap(it->second.first, it->second.second);
  g_maps.erase(it);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, std::size_t bytes) { *p = std::malloc(bytes ? bytes : 1); return *p ? cudaSuccess : ret(cudaErrorMemoryAllocation); }
cudaError_t cudaFreeHost(void* p) { std::free(p); return cudaSuccess; }
cudaError_t cudaMemGetInfo(std::size_t* f, std::size_t* t) { *f = kDeviceBytes - g_used; *t = kDeviceBytes; return cudaSuccess; }
cudaError_t cudaMemcpyAsync(void* d, const void* s, std::size_t n, cudaMemcpyKind, cudaStream_t) { std::memmove(d, s, n); return cudaSuccess; }
cudaError_t cudaMemsetAsync(void* p, int v, std::size_t n, cudaStream_t) { std::memset(p, v, n); return cudaSuccess; }
cudaError_t cudaMemcpy2DAsync(void* d, std::size_t dp, const void* s, std::size_t sp, std::size_t w, std::size_t h, cudaMemcpyKind, cudaStream_t) {
  for (std::size_t r = 0; r < h; r++) std::memmove(static_cast<char*>(d) + r * dp, static_cast<const char*>(s) + r * sp, w);
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { *e = reinterpret_cast<cudaEvent_t>(1); return cudaSuccess; }
cudaError_t cudaEventRecord(cudaEvent_t, cudaStream_t) { return cudaSuccess; }
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventDestroy(cudaEvent_t) { return cudaSuccess; }
