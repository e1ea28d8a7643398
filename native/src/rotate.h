// The rotation sweep kernel of the eigensolver, compiled once per ISA (rot_avx2.cc, rot_avx512.cc,
// and the portable copy in linalg.cc). Rows are independent: each row of Z (a column segment of zt)
// sees the same operations in the same order whatever the segment it is in, so the result does not
// depend on how rows are split over threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "linalg.h"

namespace cv {
namespace rot {

/**
 * NV vectors of W doubles (R = NV·W rows) at a time, in GCC vector types so that each ISA's copy
 * uses its own registers; the carried column stays in registers across a sweep.
 */
template <int W, int NV>
inline void block(double* zt, int64_t n, int64_t r0, const Sweep* sw, int64_t nsw, const double* cs, const double* sn) {
  typedef double vec __attribute__((vector_size(W * sizeof(double))));
  for (int64_t q = 0; q < nsw; q++) {
    const int64_t l = sw[q].l, m = sw[q].m;
    const double* c = cs + sw[q].off - l;
    const double* s = sn + sw[q].off - l;
    vec carry[NV];
    std::memcpy(carry, zt + m * n + r0, sizeof(carry));
    double* zi1 = zt + m * n + r0;
    for (int64_t i = m - 1; i >= l; i--) {
      double* zi = zi1 - n;
      vec x[NV];
      std::memcpy(x, zi, sizeof(x));
      const double ci = c[i], si = s[i];
      vec out[NV];
      for (int k = 0; k < NV; k++) {
        out[k] = si * x[k] + ci * carry[k];
        carry[k] = ci * x[k] - si * carry[k];
      }
      std::memcpy(zi1, out, sizeof(out));
      zi1 = zi;
    }
    std::memcpy(zt + l * n + r0, carry, sizeof(carry));
  }
}

/**
 * Up to K sweeps at once in a wavefront (after Van Zee, van de Geijn & Quintana-Ortí, "Restructuring
 * the tridiagonal and bidiagonal QR algorithms for performance", ACM TOMS 40(3), 2014): each round
 * every active sweep advances by one plane, a sweep staying at least two planes above every older
 * one still running (plane i touches columns i, i+1, and an older sweep at plane p still carries
 * column p+1). The K carry chains are independent, which hides the latency of the one chain of a
 * single sweep, and the columns near the front stay in L1 between consecutive sweeps. Every element
 * sees the rotations of each column pair in sweep order, so the result equals that of block<>.
 */
template <typename E, int W, int NV, int K>
inline void wave(E* zt, int64_t n, int64_t r0, const Sweep* sw, int64_t nsw, const double* cs, const double* sn) {
  typedef E vec __attribute__((vector_size(W * sizeof(E))));
  const auto loadv = [](const E* p) { vec v; std::memcpy(&v, p, sizeof(vec)); return v; };
  const auto storev = [](E* p, vec v) { std::memcpy(p, &v, sizeof(vec)); };
  // Groups of K consecutive sweeps run together; slot g is a compile-time index in the unrolled
  // loops, so the carries stay in registers.
  for (int64_t q0 = 0; q0 < nsw; q0 += K) {
    const int cnt = static_cast<int>(std::min<int64_t>(K, nsw - q0));
    int64_t cur[K], lo[K], top[K];
    const double* c[K];
    const double* s[K];
    vec carry[K][NV];
#pragma GCC unroll 8
    for (int g = 0; g < K; g++) {
      if (g < cnt) {
        const Sweep& w = sw[q0 + g];
        cur[g] = w.m;  // one above the first plane: "not started"
        lo[g] = w.l;
        top[g] = w.m - 1;
        c[g] = cs + w.off - w.l;
        s[g] = sn + w.off - w.l;
      } else {
        cur[g] = INT64_MIN / 2;  // never runs
        lo[g] = 0;
        top[g] = 0;
        c[g] = s[g] = nullptr;
      }
      for (int k = 0; k < NV; k++) carry[g][k] = vec{};
    }
    for (;;) {
      bool any = false;
#pragma GCC unroll 8
      for (int g = 0; g < K; g++) any |= cur[g] > lo[g];
      if (!any) break;
      int64_t lim = INT64_MIN;  // the highest plane (cur − 1) an older running sweep processes next
#pragma GCC unroll 8
      for (int g = 0; g < K; g++) {
        // cur[g] − 1 is the next plane; cur[g] < lo[g] + 1 means done.
        if (cur[g] > lo[g] && lim <= cur[g] - 3) {
          const int64_t i = cur[g] - 1;
          E* zi = zt + i * n + r0;
          if (i == top[g]) {
#pragma GCC unroll 8
            for (int k = 0; k < NV; k++) carry[g][k] = loadv(zi + n + k * W);
          }
          const E ci = static_cast<E>(c[g][i]), si = static_cast<E>(s[g][i]);
#pragma GCC unroll 8
          for (int k = 0; k < NV; k++) {
            const vec x = loadv(zi + k * W);
            storev(zi + n + k * W, si * x + ci * carry[g][k]);
            carry[g][k] = ci * x - si * carry[g][k];
          }
          cur[g] = i;
          if (i == lo[g]) {
#pragma GCC unroll 8
            for (int k = 0; k < NV; k++) storev(zi + k * W, carry[g][k]);
            continue;
          }
        }
        if (cur[g] > lo[g]) lim = std::max(lim, cur[g] - 1);
      }
    }
  }
}

/**
 * Rows [r0, r1): blocks of NV·W rows, then one row at a time (always the same rows: r1 − r0 is a
 * multiple of NV·W except at n). Each block is first copied into a contiguous buffer (column after
 * column), so that a rotation reads and writes adjacent memory instead of touching a new page per
 * column of zt.
 */
template <typename E, int W, int NV, int K>
inline void rows(E* zt, int64_t n, int64_t r0, int64_t r1, const Sweep* sw, int64_t nsw, const double* cs,
  const double* sn) {
  constexpr int R = W * NV;
  thread_local std::vector<E> buf;
  buf.resize(static_cast<size_t>(n) * R);
  int64_t r = r0;
  for (; r + R <= r1; r += R) {
    for (int64_t j = 0; j < n; j++) std::memcpy(&buf[j * R], zt + j * n + r, R * sizeof(E));
    wave<E, W, NV, K>(buf.data(), R, 0, sw, nsw, cs, sn);
    for (int64_t j = 0; j < n; j++) std::memcpy(zt + j * n + r, &buf[j * R], R * sizeof(E));
  }
  for (; r < r1; r++) wave<E, 1, 1, K>(zt, n, r, sw, nsw, cs, sn);
}

}  // namespace rot
}  // namespace cv
