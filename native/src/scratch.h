// Work arrays that stay mapped between calls: a per-thread stack of memory blocks for the
// eigensolver (syev.cc, stedc.cc). Why, and the policy, in scratch.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace cv {

/**
 * A region of this thread's scratch stack, given back when the scope ends. take<T>(count) returns
 * count uninitialised Ts on a cache line (take_zeroed: set to zero); the memory is valid until the
 * scope that took it ends. Scopes nest (a callee's scope gives back only what it took) and must end
 * in reverse order of creation, as automatic variables do. Throws std::bad_alloc when memory runs out.
 */
class ScratchScope {
 public:
  ScratchScope();
  ~ScratchScope();
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;

  template <typename T>
  T* take(int64_t count) {
    return static_cast<T*>(take_bytes(static_cast<size_t>(std::max<int64_t>(count, 0)) * sizeof(T)));
  }
  template <typename T>
  T* take_zeroed(int64_t count) {
    T* p = take<T>(count);
    std::fill(p, p + std::max<int64_t>(count, 0), T(0));
    return p;
  }

 private:
  void* take_bytes(size_t bytes);
  // The arena's position when the scope began: block index, bytes used in it, bytes in use in all.
  size_t block_, used_, in_use_;
};

}  // namespace cv
