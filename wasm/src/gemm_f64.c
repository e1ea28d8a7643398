/*
 * Double-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major (cv_gemm_f64).
 *
 * Same structure as gemm_f32.c (read its header comment for the blocking, packing and write-back
 * rules): Goto/BLIS loops around an MR×NR register tile held in MR·NR/2 f64x2 accumulators; per k
 * step NR/2 vector loads of B, MR broadcasts of A (v128.load64_splat), MR·NR/2 multiplies and adds.
 * Static packing buffers (a worker thread passes its own: cv_gemm_part_f64), zero-padded edges, alpha/beta at write-back (beta = 0 never reads C),
 * the product turned around when that pads less, and a packing-free gemv for n = 1 (or m = 1).
 */
#include "cv_internal.h"

#ifndef MR
#ifdef CV_RELAXED_FMA
#define MR 5 /* as in gemm_f32.c: 5×4 (10 accumulators) measured fastest with fused multiply-adds */
#else
#define MR 4
#endif
#endif
#ifndef NR
#define NR 4 /* multiple of 2 */
#endif
/* Measured as in gemm_f32.c: KC = 512 holds ~19.5 GFLOP/s at n = 1536 where KC = 256 drops to ~17. */
#ifndef KC
#define KC 512 /* a KC×NR panel of B is 16 KiB (L1) */
#endif
#ifndef MC
#ifdef CV_RELAXED_FMA
#define MC 60 /* a multiple of MR */
#else
#define MC 64 /* MC×KC doubles = 256 KiB (L2) */
#endif
#endif
#ifndef NC
#define NC 512 /* KC×NC doubles = 2 MiB */
#endif

#define NV (NR / 2)

static double APACK[MC * KC] __attribute__((aligned(64)));
static double BPACK[KC * NC] __attribute__((aligned(64)));

/* ---------------------------------------------------------------- packing */

/* As pack_panel in gemm_f32.c; the cs = 1 case transposes 2×2 blocks. */
static void pack_panel(double *dst, const double *src, int rs, int cs, int rows, int kc, int W) {
  const int full = rows - rows % W;
  if (rs == 1 && (W % 2) == 0) {
    for (int i = 0; i < full; i += W) {
      double *d = dst + i * kc;
      const double *s = src + i;
      for (int p = 0; p < kc; p++, d += W, s += cs)
        for (int v = 0; v < W; v += 2) wasm_v128_store(d + v, wasm_v128_load(s + v));
    }
  } else if (cs == 1 && (W % 2) == 0) {
    const int kc2 = kc & ~1;
    for (int i = 0; i < full; i += W) {
      double *d = dst + i * kc;
      for (int g = 0; g < W; g += 2) {
        const double *s0 = src + (i + g) * rs, *s1 = s0 + rs;
        int p = 0;
        for (; p < kc2; p += 2) {
          const v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p);
          wasm_v128_store(d + (p + 0) * W + g, wasm_i64x2_shuffle(r0, r1, 0, 2));
          wasm_v128_store(d + (p + 1) * W + g, wasm_i64x2_shuffle(r0, r1, 1, 3));
        }
        for (; p < kc; p++) {
          d[p * W + g + 0] = s0[p];
          d[p * W + g + 1] = s1[p];
        }
      }
    }
  } else {
    for (int i = 0; i < full; i += W) {
      double *d = dst + i * kc;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < W; r++) d[p * W + r] = src[(i + r) * rs + p * cs];
    }
  }
  if (full < rows) {
    double *d = dst + full * kc;
    const int rem = rows - full;
    for (int p = 0; p < kc; p++)
      for (int r = 0; r < W; r++) d[p * W + r] = r < rem ? src[(full + r) * rs + p * cs] : 0.0;
  }
}

/* ---------------------------------------------------------------- micro-kernel */

/* As in gemm_f32.c: cT = C stored transposed (C(r, j) at C[j·ldc + r]). */
static CV_NOINLINE void kernel(int kc, const double *restrict A, const double *restrict B, double *C,
                               int ldc, int cT, double alpha, double beta, double *tile) {
  v128_t acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = wasm_f64x2_const_splat(0.0);
  for (int p = 0; p < kc; p++) {
    v128_t b[NV];
    for (int v = 0; v < NV; v++) b[v] = wasm_v128_load(B + 2 * v);
    for (int r = 0; r < MR; r++) {
      const v128_t a = wasm_v128_load64_splat(A + r);
      for (int v = 0; v < NV; v++) acc[r][v] = CV_MADD_F64X2(acc[r][v], a, b[v]);
    }
    A += MR;
    B += NR;
  }
  if (tile != 0) {
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) wasm_v128_store(tile + r * NR + 2 * v, acc[r][v]);
    return;
  }
  const v128_t va = wasm_f64x2_splat(alpha);
#if MR == 4
  if (cT) { /* column j of the tile: rows 0-1 and 2-3 gathered from lanes, 4 contiguous doubles */
    const v128_t vb = wasm_f64x2_splat(beta);
    for (int v = 0; v < NV; v++) {
      const v128_t col[2][2] = {
        {wasm_i64x2_shuffle(acc[0][v], acc[1][v], 0, 2), wasm_i64x2_shuffle(acc[2][v], acc[3][v], 0, 2)},
        {wasm_i64x2_shuffle(acc[0][v], acc[1][v], 1, 3), wasm_i64x2_shuffle(acc[2][v], acc[3][v], 1, 3)}};
      for (int q = 0; q < 2; q++) {
        double *c = C + (2 * v + q) * ldc;
        const v128_t lo = wasm_f64x2_mul(va, col[q][0]), hi = wasm_f64x2_mul(va, col[q][1]);
        wasm_v128_store(c, beta == 0 ? lo : wasm_f64x2_add(lo, wasm_f64x2_mul(vb, wasm_v128_load(c))));
        wasm_v128_store(c + 2, beta == 0 ? hi : wasm_f64x2_add(hi, wasm_f64x2_mul(vb, wasm_v128_load(c + 2))));
      }
    }
    return;
  }
#endif
  if (beta == 0) {
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) wasm_v128_store(C + r * ldc + 2 * v, wasm_f64x2_mul(va, acc[r][v]));
  } else {
    const v128_t vb = wasm_f64x2_splat(beta);
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) {
        double *c = C + r * ldc + 2 * v;
        wasm_v128_store(c, wasm_f64x2_add(wasm_f64x2_mul(va, acc[r][v]),
                                          wasm_f64x2_mul(vb, wasm_v128_load(c))));
      }
  }
}

static void write_tile(const double *tile, int mr, int nr, double *c, int crs, int ccs,
                       double alpha, double beta) {
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      double *cij = c + i * crs + j * ccs;
      *cij = beta == 0 ? alpha * tile[i * NR + j] : alpha * tile[i * NR + j] + beta * *cij;
    }
}

/* ---------------------------------------------------------------- gemv (see gemm_f32.c) */

static void gemv(int m, int k, double alpha, const double *a, int ars, int acs, const double *b,
                 int bcs, double beta, double *c, int crs, double *apack, double *bpack) {
  const double *x = b;
  if (bcs != 1) {
    if (k > KC * NC) goto generic;
    for (int p = 0; p < k; p++) bpack[p] = b[p * bcs];
    x = bpack;
  }
  if (acs == 1) {
    const int k2 = k & ~1;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      const double *r0 = a + i * ars, *r1 = r0 + ars, *r2 = r1 + ars, *r3 = r2 + ars;
      v128_t s0 = wasm_f64x2_const_splat(0.0), s1 = s0, s2 = s0, s3 = s0;
      int p = 0;
      for (; p < k2; p += 2) {
        const v128_t xv = wasm_v128_load(x + p);
        s0 = wasm_f64x2_add(s0, wasm_f64x2_mul(wasm_v128_load(r0 + p), xv));
        s1 = wasm_f64x2_add(s1, wasm_f64x2_mul(wasm_v128_load(r1 + p), xv));
        s2 = wasm_f64x2_add(s2, wasm_f64x2_mul(wasm_v128_load(r2 + p), xv));
        s3 = wasm_f64x2_add(s3, wasm_f64x2_mul(wasm_v128_load(r3 + p), xv));
      }
      const v128_t h01 = wasm_f64x2_add(wasm_i64x2_shuffle(s0, s1, 0, 2), wasm_i64x2_shuffle(s0, s1, 1, 3));
      const v128_t h23 = wasm_f64x2_add(wasm_i64x2_shuffle(s2, s3, 0, 2), wasm_i64x2_shuffle(s2, s3, 1, 3));
      double y[4];
      wasm_v128_store(y, h01);
      wasm_v128_store(y + 2, h23);
      for (; p < k; p++) {
        y[0] += r0[p] * x[p];
        y[1] += r1[p] * x[p];
        y[2] += r2[p] * x[p];
        y[3] += r3[p] * x[p];
      }
      for (int q = 0; q < 4; q++) {
        double *ci = c + (i + q) * crs;
        *ci = beta == 0 ? alpha * y[q] : alpha * y[q] + beta * *ci;
      }
    }
    for (; i < m; i++) {
      const double *r = a + i * ars;
      v128_t s = wasm_f64x2_const_splat(0.0);
      int p = 0;
      for (; p < k2; p += 2) s = wasm_f64x2_add(s, wasm_f64x2_mul(wasm_v128_load(r + p), wasm_v128_load(x + p)));
      double y = wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
      for (; p < k; p++) y += r[p] * x[p];
      double *ci = c + i * crs;
      *ci = beta == 0 ? alpha * y : alpha * y + beta * *ci;
    }
    return;
  }
  if (ars == 1) {
    const int CH = MC * KC;
    for (int i0 = 0; i0 < m; i0 += CH) {
      const int mc = m - i0 < CH ? m - i0 : CH;
      double *y = apack;
      for (int i = 0; i < mc; i++) y[i] = 0;
      const int m2 = mc & ~1;
      int p = 0;
      for (; p + 4 <= k; p += 4) {
        const double *c0 = a + i0 + p * acs, *c1 = c0 + acs, *c2 = c1 + acs, *c3 = c2 + acs;
        const v128_t x0 = wasm_f64x2_splat(x[p]), x1 = wasm_f64x2_splat(x[p + 1]);
        const v128_t x2 = wasm_f64x2_splat(x[p + 2]), x3 = wasm_f64x2_splat(x[p + 3]);
        int i = 0;
        for (; i < m2; i += 2) {
          v128_t t = wasm_f64x2_add(wasm_f64x2_mul(wasm_v128_load(c0 + i), x0), wasm_f64x2_mul(wasm_v128_load(c1 + i), x1));
          t = wasm_f64x2_add(t, wasm_f64x2_add(wasm_f64x2_mul(wasm_v128_load(c2 + i), x2),
                                               wasm_f64x2_mul(wasm_v128_load(c3 + i), x3)));
          wasm_v128_store(y + i, wasm_f64x2_add(wasm_v128_load(y + i), t));
        }
        for (; i < mc; i++) y[i] += (c0[i] * x[p] + c1[i] * x[p + 1]) + (c2[i] * x[p + 2] + c3[i] * x[p + 3]);
      }
      for (; p < k; p++) {
        const double *c0 = a + i0 + p * acs;
        const v128_t x0 = wasm_f64x2_splat(x[p]);
        int i = 0;
        for (; i < m2; i += 2) wasm_v128_store(y + i, wasm_f64x2_add(wasm_v128_load(y + i), wasm_f64x2_mul(wasm_v128_load(c0 + i), x0)));
        for (; i < mc; i++) y[i] += c0[i] * x[p];
      }
      for (int i = 0; i < mc; i++) {
        double *ci = c + (i0 + i) * crs;
        *ci = beta == 0 ? alpha * y[i] : alpha * y[i] + beta * *ci;
      }
    }
    return;
  }
generic:
  for (int i = 0; i < m; i++) {
    double y = 0;
    for (int p = 0; p < k; p++) y += a[i * ars + p * acs] * b[p * bcs];
    double *ci = c + i * crs;
    *ci = beta == 0 ? alpha * y : alpha * y + beta * *ci;
  }
}

/* ---------------------------------------------------------------- driver */

static int padded(int x, int w) { return (x + w - 1) / w * w; }

/*
 * The blocked product (Goto/BLIS loops above) on packing buffers apack (MC·KC) and bpack (KC·NC).
 * Every element of C is the same sequence of operations wherever the tile containing it starts,
 * as long as tiles start at multiples of MR (rows) and NR (columns): the k order (KC blocks, then
 * p within a block) does not depend on the tile, and partial edge tiles compute exactly what full
 * tiles do (alpha·acc + beta·c is a multiply and an add, never fused, even in the FMA build, so it
 * rounds identically on lanes and scalars).
 */
static void blocked(int m, int n, int k, double alpha, const double *a, int ars, int acs, const double *b,
                    int brs, int bcs, double beta, double *c, int crs, int ccs, double *apack, double *bpack) {
  double tile[MR * NR] __attribute__((aligned(16)));
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      const double bet = pc == 0 ? beta : 1.0;
      pack_panel(bpack, b + jc * brs + pc * bcs, brs, bcs, nc, kc, NR);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        pack_panel(apack, a + ic * ars + pc * acs, ars, acs, mc, kc, MR);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? mc - ir : MR;
            double *cij = c + (ic + ir) * crs + (jc + jr) * ccs;
            if (mr == MR && nr == NR && ccs == 1) {
              kernel(kc, apack + ir * kc, bpack + jr * kc, cij, crs, 0, alpha, bet, 0);
            } else if (mr == MR && nr == NR && crs == 1 && MR == 4) {
              kernel(kc, apack + ir * kc, bpack + jr * kc, cij, ccs, 1, alpha, bet, 0);
            } else {
              kernel(kc, apack + ir * kc, bpack + jr * kc, 0, 0, 0, alpha, bet, tile);
              write_tile(tile, mr, nr, cij, crs, ccs, alpha, bet);
            }
          }
        }
      }
    }
  }
}

/*
 * Part `part` of `parts` of C = alpha·op(A)·op(B) + beta·C (part 0 of 1: all of it). The shape
 * decisions (empty k, turning the product around, gemv) are taken on the whole problem, so every
 * part takes the same ones; then C is cut into `parts` bands of whole register tiles — columns
 * when it has at least as many tile columns as tile rows, else rows — and this call computes its
 * band only. The bands are disjoint and each element's arithmetic is unchanged (see blocked()), so
 * any number of parts, run in any order or concurrently with their own packing buffers, writes
 * bit for bit what one part writes. The cheap cases (k = 0, gemv) are done whole by part 0.
 */
static void gemm_part(int m, int n, int k, double alpha, const double *a, int ars, int acs, const double *b,
                      int brs, int bcs, double beta, double *c, int crs, int ccs, int part, int parts,
                      double *apack, double *bpack) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { /* empty sum: C = alpha·0 + beta·C */
    if (part != 0) return;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double *cij = c + i * crs + j * ccs;
        *cij = beta == 0 ? alpha * 0.0 : alpha * 0.0 + beta * *cij;
      }
    return;
  }
  /* Turn the product around when the padded tile area is smaller that way (ties: keep C's rows). */
  if ((m == 1 && n > 1) ||
      (n > 1 && (int64_t)padded(n, MR) * padded(m, NR) < (int64_t)padded(m, MR) * padded(n, NR))) {
    gemm_part(n, m, k, alpha, b, brs, bcs, a, ars, acs, beta, c, ccs, crs, part, parts, apack, bpack);
    return;
  }
  if (n == 1) {
    if (part == 0) gemv(m, k, alpha, a, ars, acs, b, bcs, beta, c, crs, apack, bpack);
    return;
  }
  const int rowTiles = (m + MR - 1) / MR, colTiles = (n + NR - 1) / NR;
  if (colTiles >= rowTiles) {
    const int j0 = (int)((int64_t)colTiles * part / parts) * NR;
    const int j1 = (int)((int64_t)colTiles * (part + 1) / parts) * NR;
    const int jn = (j1 < n ? j1 : n) - j0;
    if (jn > 0) blocked(m, jn, k, alpha, a, ars, acs, b + j0 * brs, brs, bcs, beta, c + j0 * ccs, crs, ccs, apack, bpack);
  } else {
    const int i0 = (int)((int64_t)rowTiles * part / parts) * MR;
    const int i1 = (int)((int64_t)rowTiles * (part + 1) / parts) * MR;
    const int in = (i1 < m ? i1 : m) - i0;
    if (in > 0) blocked(in, n, k, alpha, a + i0 * ars, ars, acs, b, brs, bcs, beta, c + i0 * crs, crs, ccs, apack, bpack);
  }
}

void cv_gemm_strided_f64(int m, int n, int k, double alpha, const double *a, int ars, int acs,
                         const double *b, int brs, int bcs, double beta, double *c, int crs, int ccs) {
  gemm_part(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, crs, ccs, 0, 1, APACK, BPACK);
}

void cv_gemm_f64(int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
                 const double *b, int ldb, double beta, double *c, int ldc) {
  cv_gemm_part_f64(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 1, 0);
}

void cv_gemm_part_f64(int transA, int transB, int m, int n, int k, double alpha, const double *a,
                      int lda, const double *b, int ldb, double beta, double *c, int ldc, int part,
                      int parts, void *scratch) {
  /* op(A)(i, p) = a[i·ars + p·acs]; op(B)(p, j) = b[j·brs + p·bcs]. */
  const int ars = transA ? 1 : lda, acs = transA ? lda : 1;
  const int brs = transB ? ldb : 1, bcs = transB ? 1 : ldb;
  if (parts < 1 || part < 0 || part >= parts) return;
  double *apack = scratch ? (double *)scratch : APACK;
  double *bpack = scratch ? (double *)scratch + MC * KC : BPACK;
  gemm_part(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc, 1, part, parts, apack, bpack);
}

size_t cv_gemm_scratch_bytes_f64(void) { return sizeof(double) * (MC * KC + KC * NC); }
