// Scratch memory for the eigensolver (see scratch.h).
//
// A fresh allocation of a few MiB is mapped lazily: its first touch costs a page fault per 4 KiB
// (≈ 1.7 µs each on the machine of bench/RESULTS.md; a 785×785 float32 eigendecomposition touched
// ≈ 2,600 new pages, ≈ 4.5 ms of ≈ 40), and glibc returns freed blocks that large to the system,
// so calls could pay them again. Here each thread keeps its blocks between calls: a call takes
// from them as from a stack, and when the outermost scope ends, blocks that had to be added are
// merged into one of the peak size, so the next call of that size maps nothing. Blocks of 2 MiB
// and more are 2 MiB-aligned and advised as transparent huge pages (Linux), which cuts both the
// first-touch faults (one per 2 MiB) and the TLB misses of the n×n passes. A thread keeps at most
// kKeepBytes (a 1,400×1,400 float32 eigendecomposition's worth): a larger peak is unmapped after
// its call, as std::vector's would be.
#include "scratch.h"

#include <cstdlib>
#include <new>
#include <vector>
#ifdef __linux__
#include <sys/mman.h>
#endif
#ifdef _WIN32
#include <malloc.h>
#endif

namespace cv {
namespace {

constexpr size_t kLine = 64;              // cache line: every take starts on one
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kKeepBytes = size_t(64) << 20;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

struct Block {
  char* base;
  size_t size;
  size_t used;
};

Block allocate(size_t bytes) {
  const bool huge = bytes >= kHugePage;
  const size_t align = huge ? kHugePage : kLine, size = round_up(bytes, align);
  void* p = nullptr;
#ifdef _WIN32
  p = _aligned_malloc(size, align);
#else
  if (posix_memalign(&p, align, size) != 0) p = nullptr;
#endif
  if (p == nullptr) throw std::bad_alloc();
#ifdef __linux__
  if (huge) madvise(p, size, MADV_HUGEPAGE);  // advice: ignored where THP is off
#endif
  return {static_cast<char*>(p), size, 0};
}

void release(Block& b) {
#ifdef _WIN32
  _aligned_free(b.base);
#else
  std::free(b.base);
#endif
  b.base = nullptr;
}

struct Arena {
  std::vector<Block> blocks;
  size_t current = 0;  // the block being filled; those after it are empty
  int depth = 0;       // scopes open on this thread
  size_t in_use = 0;   // bytes taken and not given back
  size_t peak = 0;     // the most in use at once since the outermost scope began

  ~Arena() {
    for (Block& b : blocks) release(b);
  }

  /**
   * After the outermost scope: one block of the peak size (none above kKeepBytes). Runs in a
   * destructor, so a failed allocation just leaves no block (the next call allocates again).
   */
  void settle() noexcept {
    size_t total = 0;
    for (const Block& b : blocks) total += b.size;
    if (blocks.size() > 1 || total > kKeepBytes) {
      for (Block& b : blocks) release(b);
      blocks.clear();
      if (peak <= kKeepBytes && peak > 0) {
        try {
          blocks.push_back(allocate(peak));
        } catch (const std::bad_alloc&) {
          blocks.clear();
        }
      }
    }
    current = 0;
    peak = 0;
  }
};

thread_local Arena arena;

}  // namespace

ScratchScope::ScratchScope() {
  block_ = arena.current;
  used_ = arena.current < arena.blocks.size() ? arena.blocks[arena.current].used : 0;
  in_use_ = arena.in_use;
  arena.depth++;
}

ScratchScope::~ScratchScope() {
  for (size_t i = block_ + 1; i < arena.blocks.size(); i++) arena.blocks[i].used = 0;
  if (block_ < arena.blocks.size()) arena.blocks[block_].used = used_;
  arena.current = block_;
  arena.in_use = in_use_;
  if (--arena.depth == 0) arena.settle();
}

void* ScratchScope::take_bytes(size_t bytes) {
  bytes = round_up(std::max<size_t>(bytes, 1), kLine);
  for (;;) {
    if (arena.current < arena.blocks.size()) {
      Block& b = arena.blocks[arena.current];
      if (b.used + bytes <= b.size) {
        char* p = b.base + b.used;
        b.used += bytes;
        arena.in_use += bytes;
        arena.peak = std::max(arena.peak, arena.in_use);
        return p;
      }
      if (arena.current + 1 < arena.blocks.size()) {
        arena.current++;  // the next block is empty (stack order): try it
        continue;
      }
    }
    // Nothing left that fits: a new block, at least as large as all before it (geometric growth).
    size_t total = 0;
    for (const Block& b : arena.blocks) total += b.size;
    arena.blocks.reserve(arena.blocks.size() + 1);  // so that push_back cannot throw and leak the block
    arena.blocks.push_back(allocate(std::max(bytes, total)));
    arena.current = arena.blocks.size() - 1;
  }
}

}  // namespace cv
