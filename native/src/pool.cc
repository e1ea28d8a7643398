// Thread pool (see pool.h). Workers are detached std::threads waiting on a condition variable of a
// pool that is never destroyed: at process exit they are simply ended with the process — nothing
// joins them, no static destructor touches the objects they wait on, and no libuv handle exists, so
// the pool neither keeps Node alive nor deadlocks or crashes on exit. Work of one parallel_for is
// handed out by an atomic counter; the caller waits until every index has finished.
//
// Waking a sleeping thread through the condition variable costs tens of microseconds, as much as a
// whole 256×256 GEMM on one core. So a worker that has finished spins for a short while (kSpin)
// watching for the next generation before it goes to sleep, and the caller spins on the finish
// flag before it waits: back-to-back parallel calls (the GEMMs of one HVP) then hand over in well
// under a microsecond. Every state change still happens under the mutex, exactly as without the
// spinning; the spins only read atomics that mirror that state.
#include "pool.h"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace cv {
namespace {

/** Physical cores among the CPUs in this process's affinity mask (Linux sysfs), else hardware_concurrency. */
int count_physical_cores() {
  int logical = static_cast<int>(std::thread::hardware_concurrency());
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    std::set<std::pair<int, int>> cores;
    int cpus = 0;
    bool ok = true;
    for (int cpu = 0; cpu < CPU_SETSIZE && ok; cpu++) {
      if (!CPU_ISSET(cpu, &set)) continue;
      cpus++;
      int ids[2] = {-1, -1};
      const char* names[2] = {"physical_package_id", "core_id"};
      for (int q = 0; q < 2; q++) {
        const std::string path = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/" + names[q];
        FILE* f = std::fopen(path.c_str(), "r");
        if (f == nullptr || std::fscanf(f, "%d", &ids[q]) != 1) ok = false;
        if (f != nullptr) std::fclose(f);
      }
      cores.insert({ids[0], ids[1]});
    }
    if (ok && !cores.empty()) return static_cast<int>(cores.size());
    if (cpus > 0) return cpus;
  }
#endif
  return logical > 0 ? logical : 1;
}

/** How long a spinning thread watches before it sleeps (or the caller before it waits). */
constexpr auto kSpin = std::chrono::microseconds(100);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/** Spins until pred() holds or kSpin has passed; returns pred(). */
template <typename Pred>
bool spin_until(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; i++) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > end) return pred();
  }
}

/**
 * Set while this thread runs work of a parallel_for (as its caller or as a worker): a parallel_for
 * inside it then runs on this thread, without asking the pool (whose busy mutex this thread may
 * hold: locking it again would be undefined).
 */
thread_local bool t_inside = false;

/** Marks this thread as inside a parallel_for for the scope. */
struct InsideScope {
  bool before = t_inside;
  InsideScope() { t_inside = true; }
  ~InsideScope() { t_inside = before; }
};

class Pool {
 public:
  int threads = 1;
  double min_flops = 2.0 * 192 * 192 * 192;

  void run(int64_t count, const std::function<void(int64_t)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    const int helpers = std::min<int64_t>(threads, count) - 1;
    if (!busy.owns_lock() || helpers <= 0) {
      for (int64_t i = 0; i < count; i++) fn(i);
      return;
    }
    const int workers = start_workers(helpers);
    if (workers <= 0) {
      for (int64_t i = 0; i < count; i++) fn(i);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = &fn;
      count_ = count;
      next_.store(0);
      pending_ = count;
      active_ = workers;
      finished_.store(false);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    {
      InsideScope inside;
      work();
    }
    spin_until([&] { return finished_.load(std::memory_order_acquire); });
    std::unique_lock<std::mutex> lk(m_);
    done_.wait(lk, [&] { return pending_ == 0 && running_ == 0; });
    fn_ = nullptr;
  }

 private:
  std::mutex busy_;  // held by the thread running a parallel_for
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_{0};
  int64_t pending_ = 0;   // indices not yet finished (guarded by m_)
  int running_ = 0;       // workers inside work() (guarded by m_)
  int active_ = 0;        // workers with an id below this join the current generation
  std::atomic<uint64_t> generation_{0};  // written under m_, read by spinning workers
  std::atomic<bool> finished_{true};     // pending_ == 0 && running_ == 0, mirrored for the caller's spin
  int started_ = 0;

  /** Starts workers up to `want` (fewer when the system refuses a thread); returns how many exist. */
  int start_workers(int want) {
    while (started_ < want) {
      try {
        std::thread([this, id = started_] { loop(id); }).detach();
      } catch (const std::exception&) {
        break;
      }
      started_++;
    }
    return std::min(started_, want);
  }

  /** Takes indices until none are left; returns how many this thread finished. */
  int64_t take() {
    int64_t done = 0;
    for (;;) {
      const int64_t i = next_.fetch_add(1);
      if (i >= count_) return done;
      (*fn_)(i);
      done++;
    }
  }

  void work() {
    const int64_t done = take();
    std::lock_guard<std::mutex> lk(m_);
    pending_ -= done;
    if (pending_ == 0 && running_ == 0) finish();
  }

  /** Under m_: all indices are done and no worker is inside work. */
  void finish() {
    finished_.store(true, std::memory_order_release);
    done_.notify_all();
  }

  void loop(int id) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (generation_.load() == seen) {  // spin a while unlocked before sleeping
        lk.unlock();
        spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
        lk.lock();
      }
      wake_.wait(lk, [&] { return generation_.load() != seen; });
      seen = generation_.load();
      if (id >= active_ || fn_ == nullptr) continue;
      running_++;
      lk.unlock();
      int64_t done;
      {
        InsideScope inside;
        done = take();
      }
      lk.lock();
      pending_ -= done;
      running_--;
      if (pending_ == 0 && running_ == 0) finish();
    }
  }
};

Pool& pool() {
  // Never destroyed (see the file comment).
  static Pool* p = [] {
    Pool* q = new Pool();
    q->threads = default_threads();
    return q;
  }();
  return *p;
}

}  // namespace

int default_threads() {
  static const int n = std::max(1, std::min(kMaxThreads, count_physical_cores()));
  return n;
}
int threads() { return pool().threads; }
void set_threads(int n) { pool().threads = std::max(1, std::min(kMaxThreads, n)); }
double thread_min_flops() { return pool().min_flops; }
void set_thread_min_flops(double flops) { pool().min_flops = flops; }

void parallel_for(int64_t count, const std::function<void(int64_t)>& fn) {
  if (count <= 0) return;
  if (count == 1 || pool().threads <= 1 || t_inside) {
    for (int64_t i = 0; i < count; i++) fn(i);
    return;
  }
  pool().run(count, fn);
}

}  // namespace cv
