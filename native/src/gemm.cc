// The blocked GEMM driver (packing, blocking, beta) and the portable micro-kernel.
//
//   for jc in 0..n step NC                      column panel of C
//     for pc in 0..k step KC                    rank-KC update
//       pack op(B)[pc.., jc..] → BP             (NR-column micro-panels, zero padded)
//       for ic in 0..m step MC
//         pack op(A)[ic.., pc..] → AP           (MR-row micro-panels, zero padded: row by
//                                               row when op(A) = A, step by step when Aᵀ;
//                                               skinny products, n ≤ 8·NR (Aᵀ: 2·NR), read
//                                               A's whole tiles in place and pack only the
//                                               ragged one)
//         for ir, jr: micro-kernel C[ic+ir.., jc+jr..] = β·C + alpha·AP_ir·BP_jr
//                                               (β = beta in the first k block, else 1;
//                                               beta = 0 overwrites without reading C)
//
// So beta costs no separate pass over C, except for the matrix-vector shapes, which scale C first.
//
// Cache roles: an A micro-panel (MR rows × KC, 12 KiB in float32) stays in L1 while the B
// micro-panels of the packed block stream past it from L2, so the block BP (KC × NC) is sized to
// about 1 MiB, half the core's L2. Measured against OpenBLAS (one thread, same run): SGEMM n = 1024
// 0.87× → 0.94×, n = 2048 0.83× → 0.92× with this order and NC (the other order with NC = 3072 kept
// a 32 KiB B micro-panel in L1 beside the A stream); DGEMM unchanged within noise. The order and NC
// change no result: every tile's arithmetic and k-blocking are the same.
//
// A strided batch (gemm_batched) runs the entries inside the pc loop, so an operand they share
// (stride 0) is packed once per block for all of them: the k directions of a batched HVP multiply
// one activation matrix without packing it k times.
//
// The symmetric product (syrk: AᵀA or AAᵀ) runs the same loops over the lower triangle's bands,
// skipping the micro-tiles wholly above the diagonal, and mirrors it: half the work, gemm's bits.
//
// Packing makes every operand read of the micro-kernel unit-stride whatever the transposes and
// leading dimensions; the packing loops are compiled per ISA (CV_SIMD_CLONES: copies, so the same
// values at every width), 3–5 % of a float32 GEMM at n = 256–1024 over the baseline SSE2 copies. The micro-kernel family (AVX-512, AVX2+FMA, portable) is chosen per call from
// cpu.h, with NR = two vectors of that ISA.
//
// Threads (pool.h): a batch of at least as many entries as threads is dealt out by whole entries;
// otherwise a GEMM of at least thread_min_flops() is cut into one band per thread, of whole micro-tiles,
// along n (multiples of NR) when C has more tile columns than tile rows, else along m (multiples
// of MR), and each band runs the loops above on its own packing buffers. Every element of C gets
// the same k-blocking and the same micro-kernel arithmetic whatever the band it falls in, so the
// result is bit for bit that of one thread for every thread count.
#include "gemm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu.h"
#include "pool.h"

namespace cv {
namespace {

template <typename T> struct Blocking;
template <> struct Blocking<float> { static constexpr int64_t MC = 144, KC = Packing<float>::KC, NC = 1024; };
template <> struct Blocking<double> { static constexpr int64_t MC = 96, KC = Packing<double>::KC, NC = 512; };

/** Portable micro-kernel (A read as ap[i·SI + p·SP], as in gemm_kernel.h): plain loops the compiler vectorises for the baseline ISA. */
template <typename T, int MR, int NR, int SI, int SP>
void micro_portable(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, int mr, int nr, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const T ai = ap[i * SI];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
    }
    ap += SP;
    bp += NR;
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      T* cij = c + i * ldc + j;
      const T base = beta == T(0) ? T(0) : beta == T(1) ? *cij : beta * *cij;  // as gemm_kernel.h
      *cij = base + alpha * acc[i][j];
    }
}

/**
 * Portable micro-kernel reading A in place — rows lda apart (Trans false) or, for op(A) = Aᵀ, steps
 * lda apart (Trans true): micro_portable's arithmetic.
 */
template <typename T, int MR, int NR, bool Trans>
void micro_portable_inplace(int64_t kc, const T* a, int64_t lda, const T* bp, T* c, int64_t ldc, int mr, int nr, T alpha, T beta) {
  T acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const T ai = Trans ? a[p * lda + i] : a[i * lda + p];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * bp[j];
    }
    bp += NR;
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      T* cij = c + i * ldc + j;
      const T base = beta == T(0) ? T(0) : beta == T(1) ? *cij : beta * *cij;
      *cij = base + alpha * acc[i][j];
    }
}

/**
 * A micro-kernel for each packing of A: step by step (op(A) = Aᵀ), row by row (op(A) = A), and
 * none (A read where it is: op(A) = A, op(A) = Aᵀ).
 */
template <typename T>
struct Kernels {
  MicroKernel<T> steps, rows;
  MicroKernelInPlace<T> inplace, inplace_t;
};

/** The SIMD micro-kernels of each type. */
template <typename T> struct Simd;
template <> struct Simd<float> {
  static constexpr Kernels<float> avx2 = {micro_avx2_f32, micro_avx2_f32_rows, micro_avx2_f32_inplace, micro_avx2_f32_inplace_t};
  static constexpr Kernels<float> avx512 = {micro_avx512_f32, micro_avx512_f32_rows, micro_avx512_f32_inplace, micro_avx512_f32_inplace_t};
};
template <> struct Simd<double> {
  static constexpr Kernels<double> avx2 = {micro_avx2_f64, micro_avx2_f64_rows, micro_avx2_f64_inplace, micro_avx2_f64_inplace_t};
  static constexpr Kernels<double> avx512 = {micro_avx512_f64, micro_avx512_f64_rows, micro_avx512_f64_inplace, micro_avx512_f64_inplace_t};
};

/** AP ← Aᵀ[i0 : i0+mc, p0 : p0+kc] step by step (MR values per k step; A is k×m, so each step is one contiguous run). */
template <typename T, int MR>
CV_SIMD_CLONES void pack_a_steps(const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* ap) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    for (int64_t p = 0; p < kc; p++) {
      const T* src = a + (p0 + p) * lda + i0 + ir;
      T* dst = ap + p * MR;
      for (int i = 0; i < mr; i++) dst[i] = src[i];
      for (int i = mr; i < MR; i++) dst[i] = T(0);
    }
    ap += MR * kc;
  }
}

/**
 * AP ← A[i0 : i0+mc, p0 : p0+kc] row by row, Packing<T>::RowStride apart (MR rows per micro-panel):
 * a contiguous copy per row, where packing step by step would transpose.
 */
template <typename T, int MR>
CV_SIMD_CLONES void pack_a_rows(const T* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, T* ap) {
  constexpr int64_t RS = Packing<T>::RowStride;
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    for (int i = 0; i < mr; i++) std::copy_n(a + (i0 + ir + i) * lda + p0, kc, ap + i * RS);
    for (int i = mr; i < MR; i++) std::fill_n(ap + i * RS, kc, T(0));
    ap += MR * RS;
  }
}

/**
 * BP ← op(B)[p0 : p0+kc, j0 : j0+nc] as NR-column micro-panels. op(B) = B: each row of B is read
 * once along its length and dealt to the panels. op(B) = Bᵀ (B is n×k): a transposition by tiles
 * of 16 steps, so each cache line of B is read whole while it is in L1 (rows a power-of-two apart
 * would otherwise share L1 sets and evict each other at every step).
 */
template <typename T, int NR>
CV_SIMD_CLONES void pack_b(bool trans, const T* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, T* bp) {
  if (!trans) {
    for (int64_t p = 0; p < kc; p++) {
      const T* src = b + (p0 + p) * ldb + j0;
      for (int64_t jr = 0; jr < nc; jr += NR) {
        const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
        T* dst = bp + jr * kc + p * NR;
        for (int j = 0; j < nr; j++) dst[j] = src[jr + j];
        for (int j = nr; j < NR; j++) dst[j] = T(0);
      }
    }
    return;
  }
  constexpr int64_t TILE = 16;
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
    T* panel = bp + jr * kc;
    for (int64_t pt = 0; pt < kc; pt += TILE) {
      const int64_t pe = std::min(TILE, kc - pt);
      for (int j = 0; j < nr; j++) {
        const T* src = b + (j0 + jr + j) * ldb + p0 + pt;
        for (int64_t q = 0; q < pe; q++) panel[(pt + q) * NR + j] = src[q];
      }
      for (int j = nr; j < NR; j++)
        for (int64_t q = 0; q < pe; q++) panel[(pt + q) * NR + j] = T(0);
    }
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

/** Rows of a shared op(A) packed once for a whole batch: up to this many (else per entry). */
constexpr int64_t kSharedRowsMax = 2048;
/** A shared A packed whole (every k block) for entries-outer order: up to this size (about half an L2). */
constexpr int64_t kSharedWholeBytes = int64_t{3} << 19;

/**
 * What a GEMM does to each finished micro-tile of C while it is in L1 (after its last k block):
 * c ← c + bias[j] (a row vector over C's columns, each sum rounded to T), then, with a scale,
 * c ← c·S[r, j] (each product rounded to T), then, with `square`, c ← c·c rounded to T — the same
 * operations, in the same order, as the separate passes (add, multiply, square) over the finished
 * product, so the same bits without re-reading C from memory. S is a matrix broadcast over C's
 * rows viewed as [outer, inner]: row r reads scale[(r / inner)·outer_stride + (r % inner)·
 * inner_stride + j] (a stride of 0 repeats rows: [k, m] rows against an [m, n] S, or [m, k] rows).
 */
template <typename T>
struct Epilogue {
  const T* bias = nullptr;  // n values for C's columns from the band's first, or null
  bool square = false;
  const T* scale = nullptr;  // S from the band's first column, or null
  int64_t inner = 1, outer_stride = 0, inner_stride = 0;
  int64_t row0 = 0;  // C's row of the band's first row (a band cut along m)
  void apply(T* c, int64_t ldc, int64_t rows, int64_t cols, int64_t i0, int64_t j0) const {
    for (int64_t i = 0; i < rows; i++) {
      T* ci = c + i * ldc;
      if (bias) for (int64_t j = 0; j < cols; j++) ci[j] = ci[j] + bias[j0 + j];
      if (scale) {
        const int64_t r = row0 + i0 + i;
        const T* si = scale + (r / inner) * outer_stride + (r % inner) * inner_stride + j0;
        for (int64_t j = 0; j < cols; j++) ci[j] = ci[j] * si[j];
      }
      if (square) for (int64_t j = 0; j < cols; j++) ci[j] = ci[j] * ci[j];
    }
  }
  /** The epilogue of a band of C that starts at column j0. */
  Epilogue from_column(int64_t j0) const {
    Epilogue e = *this;
    if (bias) e.bias = bias + j0;
    if (scale) e.scale = scale + j0;
    return e;
  }
  /** The epilogue of a band of C that starts at row i0. */
  Epilogue from_row(int64_t i0) const {
    Epilogue e = *this;
    e.row0 = row0 + i0;
    return e;
  }
};

/**
 * One strided batch of GEMMs: C_e ← beta·C_e + alpha·op(A_e)·op(B_e) for entries e0 ≤ e < e1,
 * X_e = X + e·strideX. A shared operand (stride 0) is packed once per k block for every entry —
 * B always; A when it has at most kSharedRowsMax rows, all of them packed together. Each C_e gets
 * exactly the arithmetic of a single GEMM (the same k blocks in order, the same micro-kernel), so
 * a batch equals its entries computed one by one, bit for bit. With lower ≥ 0 (row 0 of C being
 * row `lower` of a symmetric product, column 0 its column 0), micro-tiles wholly above the
 * diagonal are skipped: the others are computed exactly as without it.
 */
template <typename T, int MR, int NR>
void gemm_blocked(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc, int64_t e0, int64_t e1,
  Kernels<T> kernels, int64_t lower = -1, const Epilogue<T>* epilogue = nullptr) {
  constexpr int64_t MC = Blocking<T>::MC, KC = Blocking<T>::KC, NC = Blocking<T>::NC;
  static_assert(MC % MR == 0 && NC % NR == 0, "blocks hold whole micro-panels");
  thread_local std::vector<T> abuf, bbuf;
  const int64_t kcMax = std::min(KC, k);
  const int64_t ncMax = std::min(NC, (n + NR - 1) / NR * NR);
  const bool shared_a = sa == 0 && e1 - e0 > 1 && m <= kSharedRowsMax, shared_b = sb == 0 && e1 - e0 > 1;
  const int64_t mcMax = shared_a ? (m + MR - 1) / MR * MR : std::min(MC, (m + MR - 1) / MR * MR);
  const bool by_rows = !trans_a;
  const MicroKernel<T> kernel = by_rows ? kernels.rows : kernels.steps;
  // A skinny product uses each packed value of A only n/NR times: packing would cost a write and a
  // read of all of A to save little, so A's whole tiles are read where they are, rows or (Aᵀ)
  // steps lda apart (the same arithmetic: the same bits). Rows stay in place up to 8 micro-panels
  // of B (their MR·kc values stay in L1 across them), measured against packing on one thread,
  // interleaved: float32 n = 128, k = 128–784 +3–9 %, n = 256 +2–3 %, n ≥ 384 even; float64
  // n = 64–128 +6–17 %, n = 256 even. Aᵀ's steps (MR values of a line per step) only up to two:
  // at n = 128 they lose 7 % to packing. A shared A stays packed once for the batch.
  const bool in_place = !shared_a && n <= (by_rows ? 8 : 2) * NR;
  const MicroKernelInPlace<T> kernel_in_place = by_rows ? kernels.inplace : kernels.inplace_t;
  // A shared A over several k blocks is packed whole, once (every k block side by side), and the
  // entries go outside the k loop: each C_e then stays in cache across its k blocks instead of all
  // the batch's C blocks streaming through memory once per k block (a batched HVP's first layer:
  // 32 entries of [256, 784]·[784, 128], 4 MB of C per k block). Same tiles, same k order: same bits.
  const int64_t blocks_k = (k + KC - 1) / KC;
  const int64_t a_block = mcMax * (by_rows ? Packing<T>::RowStride : kcMax);  // one k block of packed A
  const bool entries_outer = shared_a && blocks_k > 1 && !shared_b &&
    a_block * blocks_k * static_cast<int64_t>(sizeof(T)) <= kSharedWholeBytes;
  abuf.resize(static_cast<size_t>(a_block * (entries_outer ? blocks_k : 1)));
  bbuf.resize(static_cast<size_t>(ncMax * kcMax));
  T* const ap0 = abuf.data();
  T* const bp = bbuf.data();
  auto pack_a = [&](const T* ae, int64_t ic, int64_t pc, int64_t mc, int64_t kc, T* ap) {
    if (by_rows) pack_a_rows<T, MR>(ae, lda, ic, pc, mc, kc, ap);
    else pack_a_steps<T, MR>(ae, lda, ic, pc, mc, kc, ap);
  };
  auto a_row_of = [&](int64_t kc) { return by_rows ? Packing<T>::RowStride : kc; };  // elements per packed row of A
  // The micro-tiles of entry e for the k block at pc (B packed at bp; a shared A's block at shared_ap).
  auto tiles = [&](int64_t e, int64_t jc, int64_t nc, int64_t pc, int64_t kc, const T* shared_ap) {
    const T beta_pc = pc == 0 ? beta : T(1);
    const Epilogue<T>* finish = pc + kc >= k ? epilogue : nullptr;  // C's tiles are final in this block
    const int64_t a_row = a_row_of(kc);
    const T* ae = a + e * sa;
    T* ce = c + e * sc;
    for (int64_t ic = 0; ic < m; ic += MC) {
      const int64_t mc = std::min(MC, m - ic);
      const T* ap = ap0;
      const int64_t whole = in_place ? mc / MR * MR : 0;  // rows read in place (whole tiles)
      if (shared_a) ap = shared_ap + ic * a_row;
      else if (!in_place) pack_a(ae, ic, pc, mc, kc, ap0);
      else if (whole < mc) pack_a(ae, ic + whole, pc, mc - whole, kc, ap0);  // the ragged last tile
      for (int64_t ir = 0; ir < mc; ir += MR) {
        const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          if (lower >= 0 && jc + jr > lower + ic + ir + mr - 1) continue;  // strictly above the diagonal
          T* cij = ce + (ic + ir) * ldc + jc + jr;
          if (ir < whole) {
            const T* at = by_rows ? ae + (ic + ir) * lda + pc : ae + pc * lda + ic + ir;  // op(A)[ic + ir, pc]
            kernel_in_place(kc, at, lda, bp + jr * kc, cij, ldc, mr, nr, alpha, beta_pc);
          } else {
            kernel(kc, ap + (ir - whole) * a_row, bp + jr * kc, cij, ldc, mr, nr, alpha, beta_pc);
          }
          if (finish) finish->apply(cij, ldc, mr, nr, ic + ir, jc + jr);
        }
      }
    }
  };
  auto pack_shared_a = [&](int64_t pc, int64_t kc, T* dst) {  // whole micro-panels of MC rows: block ic at ic·a_row
    for (int64_t ic = 0; ic < m; ic += MC) pack_a(a, ic, pc, std::min(MC, m - ic), kc, dst + ic * a_row_of(kc));
  };
  if (entries_outer) {
    for (int64_t pc = 0; pc < k; pc += KC) pack_shared_a(pc, std::min(KC, k - pc), ap0 + pc / KC * a_block);
  }
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    if (entries_outer) {
      for (int64_t e = e0; e < e1; e++) {
        for (int64_t pc = 0; pc < k; pc += KC) {
          const int64_t kc = std::min(KC, k - pc);
          pack_b<T, NR>(trans_b, b + e * sb, ldb, pc, jc, kc, nc, bp);
          tiles(e, jc, nc, pc, kc, ap0 + pc / KC * a_block);
        }
      }
      continue;
    }
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      if (shared_a) pack_shared_a(pc, kc, ap0);
      if (shared_b) pack_b<T, NR>(trans_b, b, ldb, pc, jc, kc, nc, bp);
      for (int64_t e = e0; e < e1; e++) {
        if (!shared_b) pack_b<T, NR>(trans_b, b + e * sb, ldb, pc, jc, kc, nc, bp);
        tiles(e, jc, nc, pc, kc, ap0);
      }
    }
  }
}

/**
 * gemm_blocked run by the thread pool (see the file comment): a batch of at least as many entries
 * as threads is dealt out by whole entries; otherwise C is cut into one band per thread (more
 * bands would each pack the operand they share again), along n when C has more tile columns than
 * tile rows, else along m, each band running every entry.
 */
template <typename T, int MR, int NR>
void gemm_threaded(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  int64_t sa, const T* b, int64_t ldb, int64_t sb, T beta, T* c, int64_t ldc, int64_t sc, int64_t batch,
  Kernels<T> kernel, const Epilogue<T>* epilogue = nullptr) {
  const int nt = threads();
  const int64_t tiles_m = (m + MR - 1) / MR, tiles_n = (n + NR - 1) / NR;
  const bool by_entries = batch >= nt;
  const bool along_n = tiles_n >= tiles_m;
  const int64_t tiles = by_entries ? batch : along_n ? tiles_n : tiles_m;
  const int64_t parts = std::min<int64_t>(tiles, static_cast<int64_t>(nt));
  if (nt <= 1 || parts <= 1 || 2.0 * m * n * k * batch < thread_min_flops()) {
    gemm_blocked<T, MR, NR>(trans_a, trans_b, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, 0, batch, kernel, -1, epilogue);
    return;
  }
  parallel_for(parts, [&](int64_t p) {
    const int64_t t0 = tiles * p / parts, t1 = tiles * (p + 1) / parts;
    if (by_entries) {
      gemm_blocked<T, MR, NR>(trans_a, trans_b, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc, t0, t1, kernel, -1, epilogue);
    } else if (along_n) {
      const int64_t j0 = t0 * NR, j1 = std::min(n, t1 * NR);
      const T* bj = trans_b ? b + j0 * ldb : b + j0;
      const Epilogue<T> band = epilogue ? epilogue->from_column(j0) : Epilogue<T>{};
      gemm_blocked<T, MR, NR>(trans_a, trans_b, m, j1 - j0, k, alpha, a, lda, sa, bj, ldb, sb, beta, c + j0, ldc, sc, 0, batch, kernel, -1,
        epilogue ? &band : nullptr);
    } else {
      const int64_t i0 = t0 * MR, i1 = std::min(m, t1 * MR);
      const T* ai = trans_a ? a + i0 : a + i0 * lda;
      const Epilogue<T> band = epilogue ? epilogue->from_row(i0) : Epilogue<T>{};
      gemm_blocked<T, MR, NR>(trans_a, trans_b, i1 - i0, n, k, alpha, ai, lda, sa, b, ldb, sb, beta, c + i0 * ldc, ldc, sc, 0, batch, kernel,
        -1, epilogue ? &band : nullptr);
    }
  });
}

/**
 * The lower triangle (and the micro-tiles across the diagonal) of the n×n C = alpha·op(A)·op(B) +
 * beta·C: one band of tile rows per thread, the bands cut at tiles_m·√(p/parts) so that each holds
 * an equal share of the triangle.
 */
template <typename T, int MR, int NR>
void lower_bands(bool trans_a, bool trans_b, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
  int64_t ldb, T beta, T* c, int64_t ldc, Kernels<T> kernel) {
  const int64_t tiles = (n + MR - 1) / MR;
  const int nt = threads();
  const int64_t parts = 1.0 * n * n * k < thread_min_flops() ? 1 : std::min<int64_t>(tiles, nt);
  parallel_for(parts, [&](int64_t p) {
    const auto cut = [&](int64_t q) { return static_cast<int64_t>(std::lround(tiles * std::sqrt(static_cast<double>(q) / parts))); };
    const int64_t i0 = std::min(n, cut(p) * MR), i1 = std::min(n, cut(p + 1) * MR);
    if (i1 <= i0) return;
    const T* ai = trans_a ? a + i0 : a + i0 * lda;  // rows i0.. of op(A)
    gemm_blocked<T, MR, NR>(trans_a, trans_b, i1 - i0, i1, k, alpha, ai, lda, 0, b, ldb, 0, beta, c + i0 * ldc, ldc, 0,
      0, 1, kernel, i0);
  });
}

/** lower_bands with the micro-kernels cpuid allows. */
template <typename T>
void lower_dispatch(bool trans_a, bool trans_b, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
  int64_t ldb, T beta, T* c, int64_t ldc) {
  constexpr int W256 = 32 / sizeof(T), W512 = 64 / sizeof(T);
  switch (gemm_isa()) {
    case Isa::Avx512:
      return lower_bands<T, kMrAvx512, 2 * W512>(trans_a, trans_b, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Simd<T>::avx512);
    case Isa::Avx2:
      return lower_bands<T, kMrAvx2, 2 * W256>(trans_a, trans_b, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Simd<T>::avx2);
    default: {
      constexpr int MR = kMrAvx2, NR = 2 * W256;
      constexpr Kernels<T> portable = {micro_portable<T, MR, NR, 1, MR>,
        micro_portable<T, MR, NR, static_cast<int>(Packing<T>::RowStride), 1>, micro_portable_inplace<T, MR, NR, false>, micro_portable_inplace<T, MR, NR, true>};
      return lower_bands<T, MR, NR>(trans_a, trans_b, n, k, alpha, a, lda, b, ldb, beta, c, ldc, portable);
    }
  }
}

}  // namespace

template <typename T>
void gemm_lower(bool trans_a, bool trans_b, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
  int64_t ldb, T beta, T* c, int64_t ldc) {
  if (n <= 0) return;
  if (n == 1 || k <= 0) {  // matrix-vector shapes and no product: what gemm does
    gemm(trans_a, trans_b, n, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  lower_dispatch(trans_a, trans_b, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <typename T>
void syrk(bool trans, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, T* c, int64_t ldc) {
  if (n <= 1 || k <= 0) {  // a single element or no product: what gemm does
    gemm(trans, !trans, n, n, k, alpha, a, lda, a, lda, T(0), c, ldc);
    return;
  }
  lower_dispatch(trans, !trans, n, k, alpha, a, lda, a, lda, T(0), c, ldc);
  // The strict upper triangle from the lower one, by tiles (C[i][j] = C[j][i]: the same products,
  // commuted, summed in the same order, so every element equals gemm's bit for bit).
  constexpr int64_t B = 32;
  for (int64_t i0 = 0; i0 < n; i0 += B)
    for (int64_t j0 = i0; j0 < n; j0 += B)
      for (int64_t i = i0; i < std::min(n, i0 + B); i++)
        for (int64_t j = std::max(j0, i + 1); j < std::min(n, j0 + B); j++) c[i * ldc + j] = c[j * ldc + i];
}

namespace {

/** gemm_batched, each entry's C finished by `epilogue` (null: none). */
template <typename T>
void gemm_batched_finished(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc, int64_t stride_c,
  int64_t batch, const Epilogue<T>* epilogue) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (k <= 0 || n == 1 || m == 1) {  // no product, or matrix-vector products: scale C first
    for (int64_t e = 0; e < batch; e++) {
      const T* ae = a + e * stride_a;
      const T* be = b + e * stride_b;
      T* ce = c + e * stride_c;
      scale_c(m, n, beta, ce, ldc);
      if (k <= 0) continue;
      if (n == 1) {  // C[:, 0] += alpha·op(A)·op(B)[:, 0]
        gemv(m, k, alpha, ae, trans_a ? 1 : lda, trans_a ? lda : 1, be, trans_b ? 1 : ldb, ce, ldc);
      } else {  // C[0, :] += alpha·op(B)ᵀ·op(A)[0, :]
        gemv(n, k, alpha, be, trans_b ? ldb : 1, trans_b ? 1 : ldb, ae, trans_a ? lda : 1, ce, 1);
      }
    }
    if (epilogue) for (int64_t e = 0; e < batch; e++) epilogue->apply(c + e * stride_c, ldc, m, n, 0, 0);
    return;
  }
  constexpr int W256 = 32 / sizeof(T), W512 = 64 / sizeof(T);  // elements per vector
  switch (gemm_isa()) {
    case Isa::Avx512:
      return gemm_threaded<T, kMrAvx512, 2 * W512>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b,
        beta, c, ldc, stride_c, batch, Simd<T>::avx512, epilogue);
    case Isa::Avx2:
      return gemm_threaded<T, kMrAvx2, 2 * W256>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b,
        beta, c, ldc, stride_c, batch, Simd<T>::avx2, epilogue);
    default: {
      constexpr int MR = kMrAvx2, NR = 2 * W256;
      constexpr Kernels<T> portable = {micro_portable<T, MR, NR, 1, MR>,
        micro_portable<T, MR, NR, static_cast<int>(Packing<T>::RowStride), 1>, micro_portable_inplace<T, MR, NR, false>, micro_portable_inplace<T, MR, NR, true>};
      return gemm_threaded<T, MR, NR>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c,
        ldc, stride_c, batch, portable, epilogue);
    }
  }
}

}  // namespace

template <typename T>
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c, int64_t ldc, int64_t stride_c,
  int64_t batch) {
  gemm_batched_finished<T>(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c, batch, nullptr);
}

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
  const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm_batched(trans_a, trans_b, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
}

/**
 * C (m×n, ld ldc) = (op(A)·op(B)) ⊙ S, each product rounded to T as gemm computes it and then
 * multiplied by S[r, j] = scale[(r / inner)·outer_stride + (r % inner)·inner_stride + j] and
 * rounded — exactly gemm (alpha 1, beta 0) followed by a broadcast multiply, without the pass
 * over C (the adjoint of an elementwise activation taken through the GEMM that produces its
 * cotangent: (Ḡ·W) ⊙ tanh′, see backward in src/autodiff/trace.ts).
 */
template <typename T>
void gemm_scaled(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
  int64_t ldb, T* c, int64_t ldc, const T* scale, int64_t inner, int64_t outer_stride, int64_t inner_stride) {
  Epilogue<T> finish;
  finish.scale = scale;
  finish.inner = inner;
  finish.outer_stride = outer_stride;
  finish.inner_stride = inner_stride;
  gemm_batched_finished<T>(trans_a, trans_b, m, n, k, T(1), a, lda, 0, b, ldb, 0, T(0), c, ldc, 0, 1, &finish);
}

/** acc[i] += x[i]², the square rounded to T (as unary square stores it), the sum in double; per-ISA clones. */
template <typename T>
CV_SIMD_CLONES void add_squares(const T* x, int64_t len, double* acc) {
  for (int64_t i = 0; i < len; i++) {
    const T sq = x[i] * x[i];
    acc[i] += sq;
  }
}

/** out[i] = acc[i] rounded to T; per-ISA clones. */
template <typename T>
CV_SIMD_CLONES void round_to(const double* acc, int64_t len, T* out) {
  for (int64_t i = 0; i < len; i++) out[i] = static_cast<T>(acc[i]);
}

/**
 * out = Σ_e (A_e·op(B) + 1·biasᵀ)² for A_e = a + e·stride_a (m×k, row-major, ld k), B shared, bias
 * (n values, or null for none): each product as gemm_batched computes it, the bias added and the sum
 * squared, each rounded to T, summed in float64 in entry order, rounded to T — exactly a
 * strided-batched GEMM, the bias add and sumSquares over the batch, without the batch of products
 * in memory.
 *
 * One entry (EK-FAC's squared projection (ã·Q_A)²) needs no sum: the GEMM writes out itself and
 * finishes each micro-tile in L1 (Epilogue: the bias, the square), no pass over out of its own.
 * Several: rows go by blocks whose products for every entry (≈ kSquaresBlockBytes) stay in cache
 * between the GEMM that writes them and the sum that reads them; each block's GEMM is the same
 * arithmetic per element as the whole one (blocks keep at least two rows where m does, so a block
 * never takes gemm's one-row path when the whole would not). Blocks are fixed cuts, threaded.
 */
template <typename T>
void gemm_sum_squares(bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, const T* a, int64_t stride_a,
  const T* b, int64_t ldb, T* out, const T* bias) {
  if (m <= 0 || n <= 0) return;
  if (batch == 1) {
    Epilogue<T> finish;
    finish.bias = bias;
    finish.square = true;
    gemm_batched_finished<T>(false, trans_b, m, n, k, T(1), a, k, 0, b, ldb, 0, T(0), out, n, 0, 1, &finish);
    return;
  }
  constexpr int64_t kSquaresBlockBytes = int64_t{1} << 19;
  const int64_t per_row = std::max<int64_t>(1, batch) * n * static_cast<int64_t>(sizeof(T));
  const int64_t want = std::max<int64_t>(2, kSquaresBlockBytes / per_row);
  const int64_t blocks = m < 2 ? 1 : std::max<int64_t>(1, std::min((m + want - 1) / want, m / 2));
  Epilogue<T> add_bias;
  add_bias.bias = bias;
  auto run = [&](int64_t p) {
    const int64_t r0 = m * p / blocks, r1 = m * (p + 1) / blocks, rows = r1 - r0;
    thread_local std::vector<T> prod;
    prod.resize(static_cast<size_t>(std::max<int64_t>(1, batch) * rows * n));
    if (batch > 0) {
      gemm_batched_finished<T>(false, trans_b, rows, n, k, T(1), a + r0 * k, k, stride_a, b, ldb, 0, T(0), prod.data(), n,
        rows * n, batch, bias ? &add_bias : nullptr);
    }
    // The sums by stretches of kAccBlock elements, their double accumulators in L1 while every
    // entry's products stream past once (the same additions in the same order as one accumulator
    // per element over the whole block, which re-read 8 bytes per element per entry from L2).
    constexpr int64_t kAccBlock = 1024;
    double acc[kAccBlock];
    for (int64_t i0 = 0; i0 < rows * n; i0 += kAccBlock) {
      const int64_t len = std::min(kAccBlock, rows * n - i0);
      std::fill(acc, acc + len, 0.0);
      for (int64_t e = 0; e < batch; e++) add_squares(prod.data() + e * rows * n + i0, len, acc);
      round_to(acc, len, out + r0 * n + i0);
    }
  };
  parallel_for(blocks, run);  // on this thread when there is one block or one thread
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
  float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*,
  int64_t, double, double*, int64_t);
template void syrk<float>(bool, int64_t, int64_t, float, const float*, int64_t, float*, int64_t);
template void gemm_lower<float>(bool, bool, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
  float*, int64_t);
template void gemm_lower<double>(bool, bool, int64_t, int64_t, double, const double*, int64_t, const double*, int64_t,
  double, double*, int64_t);
template void syrk<double>(bool, int64_t, int64_t, double, const double*, int64_t, double*, int64_t);
template void gemm_batched<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
  const float*, int64_t, int64_t, float, float*, int64_t, int64_t, int64_t);
template void gemm_batched<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
  const double*, int64_t, int64_t, double, double*, int64_t, int64_t, int64_t);

template void gemm_scaled<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t,
  float*, int64_t, const float*, int64_t, int64_t, int64_t);
template void gemm_scaled<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t, const double*, int64_t,
  double*, int64_t, const double*, int64_t, int64_t, int64_t);
template void gemm_sum_squares<float>(bool, int64_t, int64_t, int64_t, int64_t, const float*, int64_t, const float*,
  int64_t, float*, const float*);
template void gemm_sum_squares<double>(bool, int64_t, int64_t, int64_t, int64_t, const double*, int64_t, const double*,
  int64_t, double*, const double*);

}  // namespace cv
