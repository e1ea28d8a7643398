// Host-side preparation of strided elementwise calls: coalescing (drop size-1 dimensions, merge
// dimensions contiguous in every operand) into the fixed-size StridedArgs the kernels take.
#pragma once

#include <vector>

#include "common.h"

namespace cv {
namespace cuda {

/**
 * shape and strides[operand][dim] → StridedArgs with the given element bases. Throws Arg when the
 * rank after coalescing exceeds kMaxRank.
 */
inline StridedArgs make_strided(const std::vector<int64_t>& shape, const std::vector<std::vector<int64_t>>& strides,
                                const std::vector<int64_t>& bases) {
  const std::size_t ops = strides.size();
  std::vector<int64_t> sh;
  std::vector<std::vector<int64_t>> st(ops);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  for (std::size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    bool merge = !sh.empty();
    for (std::size_t k = 0; merge && k < ops; k++) merge = st[k].back() == strides[k][d] * shape[d];
    if (merge) {
      sh.back() *= shape[d];
      for (std::size_t k = 0; k < ops; k++) st[k].back() = strides[k][d];
    } else {
      sh.push_back(shape[d]);
      for (std::size_t k = 0; k < ops; k++) st[k].push_back(strides[k][d]);
    }
  }
  if (sh.size() > static_cast<std::size_t>(kMaxRank) || ops > static_cast<std::size_t>(kMaxOperands)) {
    throw Failure(Kind::Arg, "strided kernels take at most rank " + std::to_string(kMaxRank) + " after merging contiguous dimensions");
  }
  StridedArgs a{};
  a.rank = static_cast<int>(sh.size());
  a.n = n;
  for (std::size_t d = 0; d < sh.size(); d++) {
    a.shape[d] = sh[d];
    for (std::size_t k = 0; k < ops; k++) a.strides[k][d] = st[k][d];
  }
  for (std::size_t k = 0; k < ops; k++) a.base[k] = k < bases.size() ? bases[k] : 0;
  return a;
}

}  // namespace cuda
}  // namespace cv
