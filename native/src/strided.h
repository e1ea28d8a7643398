// Strided iteration shared by the elementwise kernels: coalesce dimensions, then walk the outer
// dimensions with an odometer and hand each innermost row to a callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cv {

/** A shape with one stride list per operand (all element counts, a stride of 0 broadcasts). */
struct Strided {
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;  // [operand][dim]
};

/** Drops size-1 dimensions and merges dimensions that are contiguous in every operand. */
inline Strided coalesce(const Strided& in) {
  Strided out;
  out.strides.resize(in.strides.size());
  for (std::size_t d = 0; d < in.shape.size(); d++) {
    if (in.shape[d] == 1) continue;
    bool merge = !out.shape.empty();
    if (merge) {
      for (std::size_t k = 0; k < in.strides.size(); k++) {
        if (out.strides[k].back() != in.strides[k][d] * in.shape[d]) { merge = false; break; }
      }
    }
    if (merge) {
      out.shape.back() *= in.shape[d];
      for (std::size_t k = 0; k < in.strides.size(); k++) out.strides[k].back() = in.strides[k][d];
    } else {
      out.shape.push_back(in.shape[d]);
      for (std::size_t k = 0; k < in.strides.size(); k++) out.strides[k].push_back(in.strides[k][d]);
    }
  }
  return out;
}

/**
 * Calls fn(off, len, inner) for every innermost row of `s` (after coalesce): off[k] is operand k's
 * element offset of the row start (base[k] added), inner[k] its innermost stride. A 0-d shape is one
 * row of length 1; an empty shape (a 0 dimension) calls nothing.
 */
template <std::size_t N, typename Fn>
void for_each_row(const Strided& s, const int64_t (&base)[N], Fn fn) {
  const std::size_t rank = s.shape.size();
  for (int64_t d : s.shape) if (d == 0) return;
  int64_t off[N], inner[N];
  for (std::size_t k = 0; k < N; k++) { off[k] = base[k]; inner[k] = rank ? s.strides[k][rank - 1] : 0; }
  const int64_t len = rank ? s.shape[rank - 1] : 1;
  if (rank <= 1) { fn(off, len, inner); return; }
  std::vector<int64_t> idx(rank - 1, 0);
  for (;;) {
    fn(off, len, inner);
    std::size_t d = rank - 1;
    for (;;) {
      if (d == 0) return;
      d--;
      for (std::size_t k = 0; k < N; k++) off[k] += s.strides[k][d];
      if (++idx[d] < s.shape[d]) break;
      for (std::size_t k = 0; k < N; k++) off[k] -= s.strides[k][d] * s.shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace cv
