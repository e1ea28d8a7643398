// The device runtime of the CUDA addon: one device, one stream, a caching allocator, buffer handles,
// transfers, and the error policy (every CUDA call checked; sticky errors mark the backend broken).
// One process-wide state shared by every JavaScript thread that loads the addon (the main thread and
// worker_threads): callers hold state_mutex() around every call (addon.cc's guard does), except
// wait_event, which touches no state and runs on libuv's thread pool.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <mutex>
#include <string>

#include "common.h"

namespace cv {
namespace cuda {

/** A device buffer behind a handle: `size` elements of `dtype` at `ptr` (capacity `bytes`). */
struct Buffer {
  void* ptr;
  std::size_t bytes;
  DType dtype;
  int64_t size;
};

/** The lock of the process-wide state (recursive: an entry point may call another). */
std::recursive_mutex& state_mutex();

/**
 * Initialises the device once (later calls return the first answer): "" when it can run, else why
 * not — no driver (cudaErrorInsufficientDriver), no device, a device this build has no code for.
 * Never throws.
 */
std::string init();
/** A JSON-free description for info(): device name, compute capability, memory, driver/runtime. */
struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0, sms = 0, driver = 0, runtime = 0;
  std::size_t total_mem = 0;
};
DeviceInfo device_info();

/** The device's multiprocessor count (0 before a successful init). */
int sm_count();

/** The stream all work is queued on. Throws Broken when the backend is broken or uninitialised. */
cudaStream_t stream();
/** Throws a Failure for err ≠ cudaSuccess, classified (see Kind); `what` names the call. */
void check(cudaError_t err, const char* what);
/** cudaGetLastError after a launch, checked. */
void check_launch(const char* kernel);
/** Blocks until the stream's work is done (checked: asynchronous faults surface here). */
void sync(const char* what);
/** The first sticky error's message, or "" while the backend is healthy. */
const std::string& broken_reason();

// --- buffers -----------------------------------------------------------------------------------
/** A new buffer of `size` elements (contents undefined); returns its handle (≥ 1). */
uint32_t buffer_alloc(DType dtype, int64_t size);
/** Returns the buffer's block to the cache (stream-ordered: queued work that uses it still runs first). */
void buffer_free(uint32_t handle);
/** The buffer of a live handle; throws Arg for an unknown handle. */
const Buffer& buffer(uint32_t handle);

/** Host → device, `n` elements into the buffer at element `offset` (queued; the host copy is staged). */
void write(uint32_t handle, const void* host, int64_t offset, int64_t n);
/** Device → host, the first `n` elements; blocks until they have arrived. */
void read(uint32_t handle, void* host, int64_t n);

/** A pending asynchronous read: pinned host memory the copy lands in, and the event that marks it done. */
struct PendingRead {
  void* pinned;
  std::size_t bytes;
  cudaEvent_t done;
};
/** Queues a device → pinned-host copy of the first n elements and an event after it. */
PendingRead read_async_begin(uint32_t handle, int64_t n);
/** Waits for the event (any thread; never throws): the error for check() on the JavaScript thread. */
cudaError_t wait_event(cudaEvent_t ev);
/** Releases the pinned memory (back to its pool) and the event (JavaScript thread). */
void read_async_end(const PendingRead& r);

// --- allocator statistics -----------------------------------------------------------------------
struct MemoryStats {
  std::size_t in_use = 0, cached = 0, peak = 0;
  int64_t device_allocs = 0, cache_hits = 0, live_buffers = 0;
};
MemoryStats memory_stats();
/** Frees every cached (unused) block back to the device. */
void empty_cache();

/** One int32 of device memory, read synchronously (to name a bad index in an error message). */
int32_t read_int32(const int32_t* device_ptr);

/** Scratch device memory for a kernel's flag or workspace, valid until the next call of scratch(). */
void* scratch(std::size_t bytes);

}  // namespace cuda
}  // namespace cv
