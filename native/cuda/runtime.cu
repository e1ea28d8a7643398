// Device runtime: initialisation with a reason when the device cannot run, the error policy, the
// caching allocator (PyTorch-style: freed blocks go to a size-keyed free list and are reused by
// later allocations of a similar size; all work is on one stream, so reuse is stream-ordered and
// needs no events), buffer handles, and transfers (pageable for synchronous, pinned for async reads).
#include "runtime.h"

#include <cstdlib>
#include <map>
#include <unordered_map>
#include <vector>

namespace cv {
namespace cuda {
namespace {

// Process-lifetime state, deliberately never destroyed: at exit the driver may already be gone, and
// freeing device memory from a static destructor would only produce errors.
struct State {
  bool initialised = false;
  std::string unavailable;   // init()'s answer
  std::string broken;        // first sticky error
  int device = 0;
  int sms = 0;
  cudaStream_t stream = nullptr;
  std::unordered_map<uint32_t, Buffer> buffers;
  uint32_t next_handle = 1;
  std::multimap<std::size_t, void*> free_blocks;   // device cache: capacity → block
  std::multimap<std::size_t, void*> free_pinned;   // pinned host cache
  MemoryStats stats;
  void* scratch = nullptr;
  std::size_t scratch_bytes = 0;
};
State& S() {
  static State* s = new State();
  return *s;
}

std::string err_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

/** Errors after which the CUDA context is unusable (CUDA runtime API docs: "sticky" errors). */
bool sticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress: case cudaErrorLaunchFailure: case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction: case cudaErrorMisalignedAddress: case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc: case cudaErrorAssert: case cudaErrorLaunchTimeout: case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed: case cudaErrorUnknown:
      return true;
    default:
      return false;
  }
}

/** Block sizes of the device cache: 512 B granules below 1 MiB, 2 MiB granules above. */
std::size_t round_device(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes < (1u << 20)) return (bytes + 511) / 512 * 512;
  const std::size_t g = 2u << 20;
  return (bytes + g - 1) / g * g;
}

void* device_malloc(std::size_t bytes) {
  State& s = S();
  // Reuse a cached block of at least `bytes` and at most twice that (bounded waste).
  auto it = s.free_blocks.lower_bound(bytes);
  if (it != s.free_blocks.end() && it->first <= 2 * bytes) {
    void* p = it->second;
    s.stats.cached -= it->first;
    s.free_blocks.erase(it);
    s.stats.cache_hits++;
    return p;
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it, release the cache, try once more
    empty_cache();
    e = cudaMalloc(&p, bytes);
  }
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    std::size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    cudaGetLastError();
    throw Failure(Kind::Oom, "out of device memory: " + std::to_string(bytes) + " bytes requested, " +
      std::to_string(free_b) + " of " + std::to_string(total_b) + " bytes free, " +
      std::to_string(s.stats.in_use) + " in use by this backend");
  }
  check(e, "cudaMalloc");
  s.stats.device_allocs++;
  return p;
}

__global__ void probe_kernel(int* p) {
  if (p) *p = 1;
}

}  // namespace

std::recursive_mutex& state_mutex() {
  static std::recursive_mutex* m = new std::recursive_mutex();
  return *m;
}

std::string init() {
  State& s = S();
  if (s.initialised) return s.unavailable;
  s.initialised = true;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e == cudaErrorInsufficientDriver) {
    s.unavailable = "no CUDA driver (or one older than this build's CUDA runtime): " + err_text(e);
  } else if (e == cudaErrorNoDevice || (e == cudaSuccess && n == 0)) {
    s.unavailable = "no CUDA device" + (e == cudaSuccess ? std::string() : ": " + err_text(e));
  } else if (e != cudaSuccess) {
    s.unavailable = "cudaGetDeviceCount failed: " + err_text(e);
  }
  if (!s.unavailable.empty()) {
    cudaGetLastError();
    return s.unavailable;
  }
  const char* env = std::getenv("CURVATURE_CUDA_DEVICE");
  s.device = env ? std::atoi(env) : 0;
  if (s.device < 0 || s.device >= n) {
    s.unavailable = "CURVATURE_CUDA_DEVICE=" + std::string(env) + " but there are " + std::to_string(n) + " device(s)";
    return s.unavailable;
  }
  cudaDeviceProp prop{};
  if ((e = cudaGetDeviceProperties(&prop, s.device)) != cudaSuccess) {
    s.unavailable = "cudaGetDeviceProperties failed: " + err_text(e);
    return s.unavailable;
  }
  if (prop.major < 9) {
    s.unavailable = "device " + std::to_string(s.device) + " (" + prop.name + ") has compute capability " +
      std::to_string(prop.major) + "." + std::to_string(prop.minor) +
      "; this build carries code for 9.0 and newer only (sm_90 SASS + compute_90 PTX)";
    return s.unavailable;
  }
  s.sms = prop.multiProcessorCount;
  if ((e = cudaSetDevice(s.device)) != cudaSuccess ||
      (e = cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking)) != cudaSuccess) {
    s.unavailable = "cannot open device " + std::to_string(s.device) + ": " + err_text(e);
    cudaGetLastError();
    return s.unavailable;
  }
  // One tiny launch: a build without code for this device fails here (cudaErrorNoKernelImageForDevice),
  // not at the first real kernel.
  probe_kernel<<<1, 1, 0, s.stream>>>(nullptr);
  e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaStreamSynchronize(s.stream);
  if (e != cudaSuccess) {
    s.unavailable = "a test kernel did not run on " + std::string(prop.name) + ": " + err_text(e);
    cudaGetLastError();
  }
  return s.unavailable;
}

DeviceInfo device_info() {
  DeviceInfo d;
  cudaDriverGetVersion(&d.driver);
  cudaRuntimeGetVersion(&d.runtime);
  cudaDeviceProp prop{};
  if (S().unavailable.empty() && S().initialised && cudaGetDeviceProperties(&prop, S().device) == cudaSuccess) {
    d.name = prop.name;
    d.major = prop.major;
    d.minor = prop.minor;
    d.sms = prop.multiProcessorCount;
    d.total_mem = prop.totalGlobalMem;
  }
  cudaGetLastError();
  return d;
}

const std::string& broken_reason() { return S().broken; }

int sm_count() { return S().sms; }

cudaStream_t stream() {
  State& s = S();
  if (!s.initialised || !s.unavailable.empty()) throw Failure(Kind::Broken, "the CUDA device is not available: " + (s.unavailable.empty() ? std::string("init() not called") : s.unavailable));
  if (!s.broken.empty()) throw Failure(Kind::Broken, "the CUDA backend is broken by an earlier error (" + s.broken + "); restart the process to use the GPU again");
  // The current device is per host thread: a worker_thread's first call must select ours too.
  int current = -1;
  if (cudaGetDevice(&current) != cudaSuccess || current != s.device) check(cudaSetDevice(s.device), "cudaSetDevice");
  return s.stream;
}

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  const std::string msg = std::string(what) + " failed: " + err_text(e);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw Failure(Kind::Oom, msg);
  }
  if (sticky(e)) {
    if (S().broken.empty()) S().broken = msg;
    throw Failure(Kind::Broken, msg + " — the CUDA context is lost; the backend is marked broken");
  }
  cudaGetLastError();  // clear a non-sticky error so that it is not reported again by the next call
  throw Failure(Kind::Launch, msg);
}

void check_launch(const char* kernel) {
  check(cudaGetLastError(), kernel);
}

void sync(const char* what) {
  check(cudaStreamSynchronize(stream()), what);
}

uint32_t buffer_alloc(DType dtype, int64_t size) {
  State& s = S();
  stream();
  if (size < 0) throw Failure(Kind::Arg, "alloc: negative size");
  const std::size_t bytes = round_device(static_cast<std::size_t>(size) * dtype_size(dtype));
  void* p = device_malloc(bytes);
  uint32_t h = s.next_handle++;
  if (s.next_handle == 0) s.next_handle = 1;
  s.buffers[h] = Buffer{p, bytes, dtype, size};
  s.stats.in_use += bytes;
  if (s.stats.in_use > s.stats.peak) s.stats.peak = s.stats.in_use;
  s.stats.live_buffers++;
  return h;
}

void buffer_free(uint32_t handle) {
  State& s = S();
  auto it = s.buffers.find(handle);
  if (it == s.buffers.end()) return;  // freeing twice is harmless (the finaliser may race an explicit free)
  s.free_blocks.emplace(it->second.bytes, it->second.ptr);
  s.stats.cached += it->second.bytes;
  s.stats.in_use -= it->second.bytes;
  s.stats.live_buffers--;
  s.buffers.erase(it);
}

const Buffer& buffer(uint32_t handle) {
  auto it = S().buffers.find(handle);
  if (it == S().buffers.end()) throw Failure(Kind::Arg, "unknown or freed buffer handle " + std::to_string(handle));
  return it->second;
}

void write(uint32_t handle, const void* host, int64_t offset, int64_t n) {
  const Buffer& b = buffer(handle);
  if (offset < 0 || n < 0 || offset + n > b.size) throw Failure(Kind::Arg, "write: elements " + std::to_string(offset) + ".." + std::to_string(offset + n) + " outside a buffer of " + std::to_string(b.size));
  if (n == 0) return;
  const std::size_t es = dtype_size(b.dtype);
  // Pageable source: cudaMemcpyAsync returns once the data is staged, so the caller may reuse it.
  check(cudaMemcpyAsync(static_cast<char*>(b.ptr) + offset * es, host, n * es, cudaMemcpyHostToDevice, stream()), "cudaMemcpyAsync (write)");
}

void read(uint32_t handle, void* host, int64_t n) {
  const Buffer& b = buffer(handle);
  if (n < 0 || n > b.size) throw Failure(Kind::Arg, "read: n outside the buffer");
  if (n > 0) check(cudaMemcpyAsync(host, b.ptr, n * dtype_size(b.dtype), cudaMemcpyDeviceToHost, stream()), "cudaMemcpyAsync (read)");
  sync("read (cudaStreamSynchronize)");
}

PendingRead read_async_begin(uint32_t handle, int64_t n) {
  State& s = S();
  const Buffer& b = buffer(handle);
  if (n < 0 || n > b.size) throw Failure(Kind::Arg, "readAsync: n outside the buffer");
  cudaStream_t st = stream();
  PendingRead r{nullptr, 0, nullptr};
  const std::size_t want = static_cast<std::size_t>(n) * dtype_size(b.dtype);
  r.bytes = (want + 65535) / 65536 * 65536;
  if (r.bytes == 0) r.bytes = 65536;
  auto it = s.free_pinned.lower_bound(r.bytes);
  if (it != s.free_pinned.end() && it->first <= 4 * r.bytes) {
    r.bytes = it->first;
    r.pinned = it->second;
    s.free_pinned.erase(it);
  } else {
    cudaError_t e = cudaMallocHost(&r.pinned, r.bytes);
    if (e != cudaSuccess) {
      cudaGetLastError();
      for (auto& kv : s.free_pinned) cudaFreeHost(kv.second);
      s.free_pinned.clear();
      check(cudaMallocHost(&r.pinned, r.bytes), "cudaMallocHost (readAsync staging)");
    }
  }
  cudaError_t e = cudaEventCreateWithFlags(&r.done, cudaEventDisableTiming);
  if (e != cudaSuccess) {
    s.free_pinned.emplace(r.bytes, r.pinned);
    check(e, "cudaEventCreate");
  }
  try {
    if (want > 0) check(cudaMemcpyAsync(r.pinned, b.ptr, want, cudaMemcpyDeviceToHost, st), "cudaMemcpyAsync (readAsync)");
    check(cudaEventRecord(r.done, st), "cudaEventRecord");
  } catch (...) {
    read_async_end(r);
    throw;
  }
  return r;
}

cudaError_t wait_event(cudaEvent_t ev) {
  return cudaEventSynchronize(ev);
}

void read_async_end(const PendingRead& r) {
  if (r.done) cudaEventDestroy(r.done);
  if (r.pinned) S().free_pinned.emplace(r.bytes, r.pinned);
  cudaGetLastError();
}

MemoryStats memory_stats() { return S().stats; }

void empty_cache() {
  State& s = S();
  if (s.free_blocks.empty()) return;
  // The blocks may still be used by queued work: wait for it before giving them back.
  if (s.stream && s.broken.empty()) cudaStreamSynchronize(s.stream);
  for (auto& kv : s.free_blocks) cudaFree(kv.second);
  s.free_blocks.clear();
  s.stats.cached = 0;
  cudaGetLastError();
}

int32_t read_int32(const int32_t* device_ptr) {
  int32_t v = 0;
  check(cudaMemcpyAsync(&v, device_ptr, sizeof v, cudaMemcpyDeviceToHost, stream()), "cudaMemcpyAsync (read_int32)");
  sync("read_int32 (cudaStreamSynchronize)");
  return v;
}

void* scratch(std::size_t bytes) {
  State& s = S();
  if (bytes > s.scratch_bytes) {
    if (s.scratch) {
      sync("scratch (cudaStreamSynchronize)");
      check(cudaFree(s.scratch), "cudaFree (scratch)");
      s.scratch = nullptr;
      s.scratch_bytes = 0;
    }
    std::size_t want = round_device(bytes);
    void* p = nullptr;
    check(cudaMalloc(&p, want), "cudaMalloc (scratch)");
    s.scratch = p;
    s.scratch_bytes = want;
  }
  return s.scratch;
}

}  // namespace cuda
}  // namespace cv
