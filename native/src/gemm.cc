// The blocked GEMM driver (packing, blocking, beta) and the portable micro-kernel.
//
//   C ← beta·C                                  (beta = 0 overwrites without reading C)
//   for jc in 0..n step NC                      column panel of C
//     for pc in 0..k step KC                    rank-KC update
//       pack op(B)[pc.., jc..] → BP             (NR-column micro-panels, zero padded)
//       for ic in 0..m step MC
//         pack op(A)[ic.., pc..] → AP           (MR-row micro-panels, zero padded)
//         for jr, ir: micro-kernel C[ic+ir.., jc+jr..] += alpha·AP_ir·BP_jr
//
// Packing makes every operand read of the micro-kernel unit-stride whatever the transposes and
// leading dimensions. The micro-kernel family (AVX-512, AVX2+FMA, portable) is chosen per call from
// cpu.h, with NR = two vectors of that ISA.
//
// Threads (pool.h): a GEMM of at least thread_min_flops() is cut into bands of whole micro-tiles,
// along n (multiples of NR) when C has more tile columns than tile rows, else along m (multiples
// of MR), and each band runs the loops above on its own packing buffers. Every element of C gets
// the same k-blocking and the same micro-kernel arithmetic whatever the band it falls in, so the
// result is bit for bit that of one thread for every thread count.
#include "gemm.h"

#include <algorithm>
#include <vector>

#include "cpu.h"
#include "pool.h"

namespace cv {
namespace {

template <typename T> struct Blocking;
template <> struct Blocking<float> { static constexpr int64_t MC = 144, KC = 256, NC = 3072; };
template <> struct Blocking<double> { static constexpr int64_t MC = 96, KC = 256, NC = 2048; };

/** Portable micro-kernel: plain loops the compiler vectorises for the baseline ISA. */
template <typename T, int MR, int NR>
void micro_portable(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int mr, int nr, T alpha) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const T ai = ap[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
    }
    ap += MR;
    bp += NR;
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] += alpha * acc[i][j];
}

/** The SIMD micro-kernels of each type (MR = 6 rows, NR = two vectors of the ISA). */
template <typename T> struct Simd;
template <> struct Simd<float> {
  static constexpr MicroKernel<float> avx2 = micro_avx2_f32, avx512 = micro_avx512_f32;
};
template <> struct Simd<double> {
  static constexpr MicroKernel<double> avx2 = micro_avx2_f64, avx512 = micro_avx512_f64;
};

/** AP ← op(A)[i0 : i0+mc, p0 : p0+kc] as MR-row micro-panels. */
template <typename T, int MR>
void pack_a(bool trans, const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* ap) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    for (int64_t p = 0; p < kc; p++) {
      T* dst = ap + p * MR;
      for (int i = 0; i < mr; i++) {
        const int64_t row = i0 + ir + i, col = p0 + p;
        dst[i] = trans ? a[col * lda + row] : a[row * lda + col];
      }
      for (int i = mr; i < MR; i++) dst[i] = T(0);
    }
    ap += MR * kc;
  }
}

/** BP ← op(B)[p0 : p0+kc, j0 : j0+nc] as NR-column micro-panels. */
template <typename T, int NR>
void pack_b(bool trans, const T* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, T* bp) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
    for (int64_t p = 0; p < kc; p++) {
      T* dst = bp + p * NR;
      const int64_t row = p0 + p;
      if (!trans) {
        const T* src = b + row * ldb + j0 + jr;
        for (int j = 0; j < nr; j++) dst[j] = src[j];
      } else {
        for (int j = 0; j < nr; j++) dst[j] = b[(j0 + jr + j) * ldb + row];
      }
      for (int j = nr; j < NR; j++) dst[j] = T(0);
    }
    bp += NR * kc;
  }
}

template <typename T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < m; i++) {
    T* row = c + i * ldc;
    if (beta == T(0)) std::fill(row, row + n, T(0));
    else for (int64_t j = 0; j < n; j++) row[j] *= beta;
  }
}

/**
 * out[i·os] += alpha·Σ_p M[i·rs + p·cs]·x[p·xs] for i < count, p < k: the matrix-vector products
 * (m = 1 or n = 1) without packing, which would pad the single row or column to a whole tile.
 */
template <typename T>
void gemv(int64_t count, int64_t k, T alpha, const T* mat, int64_t rs, int64_t cs, const T* x, int64_t xs, T* out,
  int64_t os) {
  if (cs == 1) {
    for (int64_t i = 0; i < count; i++) {
      const T* row = mat + i * rs;
      T part[8] = {};
      int64_t p = 0;
      if (xs == 1) {
        for (; p + 8 <= k; p += 8)
          for (int q = 0; q < 8; q++) part[q] += row[p + q] * x[p + q];
      }
      for (; p < k; p++) part[0] += row[p] * x[p * xs];
      const T sum = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
      out[i * os] += alpha * sum;
    }
    return;
  }
  thread_local std::vector<T> acc;
  acc.assign(static_cast<size_t>(count), T(0));
  T* y = acc.data();
  for (int64_t p = 0; p < k; p++) {
    const T xp = x[p * xs];
    const T* col = mat + p * cs;
    if (rs == 1) for (int64_t i = 0; i < count; i++) y[i] += col[i] * xp;
    else for (int64_t i = 0; i < count; i++) y[i] += col[i * rs] * xp;
  }
  for (int64_t i = 0; i < count; i++) out[i * os] += alpha * y[i];
}

/** The blocked loops around an MR×NR micro-kernel (C already scaled by beta; m, n > 1, k > 0). */
template <typename T, int MR, int NR>
void gemm_blocked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  const T* b, int64_t ldb, T* c, int64_t ldc, MicroKernel<T> kernel) {
  constexpr int64_t MC = Blocking<T>::MC, KC = Blocking<T>::KC, NC = Blocking<T>::NC;
  static_assert(MC % MR == 0 && NC % NR == 0, "blocks hold whole micro-panels");
  thread_local std::vector<T> abuf, bbuf;
  const int64_t kcMax = std::min(KC, k);
  const int64_t ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const int64_t mcMax = std::min(MC, (m + MR - 1) / MR * MR);
  abuf.resize(static_cast<size_t>(mcMax * kcMax));
  bbuf.resize(static_cast<size_t>(ncMax * kcMax));
  T* ap = abuf.data();
  T* bp = bbuf.data();
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      pack_b<T, NR>(trans_b, b, ldb, pc, jc, kc, nc, bp);
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        pack_a<T, MR>(trans_a, a, lda, ic, pc, mc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            kernel(kc, ap + ir * kc, bp + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr, alpha);
          }
        }
      }
    }
  }
}

/** gemm_blocked over bands of C run by the thread pool (see the file comment). */
template <typename T, int MR, int NR>
void gemm_threaded(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  const T* b, int64_t ldb, T* c, int64_t ldc, MicroKernel<T> kernel) {
  const int nt = threads();
  const int64_t tiles_m = (m + MR - 1) / MR, tiles_n = (n + NR - 1) / NR;
  const bool along_n = tiles_n >= tiles_m;
  const int64_t tiles = along_n ? tiles_n : tiles_m;
  const int64_t parts = std::min<int64_t>(tiles, 2 * static_cast<int64_t>(nt));
  if (nt <= 1 || parts <= 1 || 2.0 * m * n * k < thread_min_flops()) {
    gemm_blocked<T, MR, NR>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, kernel);
    return;
  }
  parallel_for(parts, [&](int64_t p) {
    const int64_t t0 = tiles * p / parts, t1 = tiles * (p + 1) / parts;
    if (along_n) {
      const int64_t j0 = t0 * NR, j1 = std::min(n, t1 * NR);
      const T* bj = trans_b ? b + j0 * ldb : b + j0;
      gemm_blocked<T, MR, NR>(trans_a, trans_b, m, j1 - j0, k, alpha, a, lda, bj, ldb, c + j0, ldc, kernel);
    } else {
      const int64_t i0 = t0 * MR, i1 = std::min(m, t1 * MR);
      const T* ai = trans_a ? a + i0 : a + i0 * lda;
      gemm_blocked<T, MR, NR>(trans_a, trans_b, i1 - i0, n, k, alpha, ai, lda, b, ldb, c + i0 * ldc, ldc, kernel);
    }
  });
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  scale_c(m, n, beta, c, ldc);
  if (k <= 0) return;
  if (n == 1) {  // C[:, 0] += alpha·op(A)·op(B)[:, 0]
    gemv(m, k, alpha, a, trans_a ? 1 : lda, trans_a ? lda : 1, b, trans_b ? 1 : ldb, c, ldc);
    return;
  }
  if (m == 1) {  // C[0, :] += alpha·op(B)ᵀ·op(A)[0, :]
    gemv(n, k, alpha, b, trans_b ? ldb : 1, trans_b ? 1 : ldb, a, trans_a ? lda : 1, c, 1);
    return;
  }
  constexpr int W256 = 32 / sizeof(T), W512 = 64 / sizeof(T);  // elements per vector
  switch (gemm_isa()) {
    case Isa::Avx512:
      return gemm_threaded<T, 6, 2 * W512>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, Simd<T>::avx512);
    case Isa::Avx2:
      return gemm_threaded<T, 6, 2 * W256>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, Simd<T>::avx2);
    default:
      return gemm_threaded<T, 6, 2 * W256>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, c, ldc, micro_portable<T, 6, 2 * W256>);
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
  float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
  int64_t, double, double*, int64_t);

}  // namespace cv
