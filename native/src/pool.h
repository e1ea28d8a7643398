// The addon's thread pool: worker threads that large GEMMs (split over output tiles) and the
// eigensolver (split over rows) share with the calling thread. Results never depend on the thread
// count: work is cut into pieces whose arithmetic is fixed by the problem, not by who runs them.
#pragma once

#include <cstdint>
#include <functional>

namespace cv {

/** Upper bound of the thread count. */
constexpr int kMaxThreads = 64;

/** Threads in use (the calling thread included); default: physical cores available to the process. */
int threads();
/** The default count: physical cores among the CPUs this process may run on (at least 1). */
int default_threads();
/** Sets the count (clamped to [1, kMaxThreads]); extra workers start lazily, surplus ones sleep. */
void set_threads(int n);
/** Smallest GEMM (2·m·n·k flops) split over the threads. */
double thread_min_flops();
void set_thread_min_flops(double flops);

/**
 * Runs fn(i) for every i in [0, count), spread over the threads (the calling thread takes part),
 * and returns when all are done. Runs everything on the calling thread when the count is 1, when
 * count ≤ 1, or when the pool is already busy (a nested call — known per thread, as gemm inside
 * gemm_sum_squares's row blocks — or a call from another JS thread): so it never blocks on itself.
 * fn must not throw.
 */
void parallel_for(int64_t count, const std::function<void(int64_t)>& fn);

}  // namespace cv
