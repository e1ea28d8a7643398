/*
 * Single-precision GEMM: C = alpha·op(A)·op(B) + beta·C, row-major (cv_gemm_f32).
 *
 * Blocking after Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"
 * (ACM TOMS 34(3), 2008), loop order as in BLIS:
 *
 *   for jc in 0..n step NC                       column panel of C
 *     for pc in 0..k step KC                     rank-KC update
 *       pack op(B)[pc:pc+KC, jc:jc+NC] → BPACK  (NR-column micro-panels, zero padded)
 *       for ic in 0..m step MC
 *         pack op(A)[ic:ic+MC, pc:pc+KC] → APACK (MR-row micro-panels, zero padded)
 *         for jr in 0..NC step NR                a KC×NR micro-panel of B stays in L1 …
 *           for ir in 0..MC step MR              … while the MC×KC block of A streams from L2
 *             MR×NR micro-kernel on SIMD registers; C tile = alpha·AB + beta·C
 *
 * Packing makes every operand access of the micro-kernel a unit-stride read from a contiguous
 * buffer, so the four transpose cases (and any leading dimension) share one kernel. The buffers are
 * static (allocated once with the module, never per call) for the main thread; a worker thread
 * passes its own (cv_gemm_part_f32, which computes one band of C: see gemm_part()). The micro-kernel holds an MR×NR tile of C
 * in MR·NR/4 f32x4 accumulators; per k step it loads NR/4 vectors of B and broadcasts MR values of
 * A (v128.load32_splat): MR·NR/4 multiplies and adds (CV_MADD_F32X4: fused in the relaxed-SIMD FMA build).
 *
 * alpha and beta are applied when a tile is written back: C = alpha·AB + beta·C on the first
 * rank-KC update, C = alpha·AB + C on later ones; beta = 0 never reads C (it may hold NaN). NaN/Inf
 * in A or B propagate (no multiply is skipped, not even for alpha = 0). Sums are carried in float32
 * lanes (the ABI allows it; the reference sums in double).
 *
 * The problem is turned around (Cᵀ = op(B)ᵀ·op(A)ᵀ) when that wastes less of the zero-padded
 * edge tiles, and matrix-vector shapes (n = 1, or m = 1 turned around) go to a gemv without
 * packing, since each element of A is used once.
 */
#include "cv_internal.h"

#ifndef MR
#ifdef CV_RELAXED_FMA
/* A fused multiply-add needs no temporary register: 5×8 (10 accumulators) measured fastest there
 * (bench/fma-gemm.mjs; 4×8 ≈ 10 % slower, 6×8 and 3×12 slower still). */
#define MR 5
#else
#define MR 4 /* rows of the register tile */
#endif
#endif
#ifndef NR
#define NR 8 /* columns of the register tile (multiple of 4) */
#endif
/*
 * Cache blocking, measured with bench/wasm-gemm.mjs (KC 128–768, MC 48–256, NC 256–1024): all
 * within noise up to n = 1024; KC = 512 keeps ~40 GFLOP/s at n = 2048 where KC = 256 drops to ~34
 * (half as many read-modify-write passes over C).
 */
#ifndef KC
#define KC 512 /* depth of a rank-k update: a KC×NR panel of B is 16 KiB (L1) */
#endif
#ifndef MC
#ifdef CV_RELAXED_FMA
#define MC 60 /* a multiple of MR (tiles start at multiples of MR: see blocked()) */
#else
#define MC 64 /* rows of A packed at once: MC×KC floats = 128 KiB (L2) */
#endif
#endif
#ifndef NC
#define NC 512 /* columns of B packed at once: KC×NC floats = 1 MiB (L2/L3) */
#endif

#define NV (NR / 4) /* f32x4 vectors per tile row */

static float APACK[MC * KC] __attribute__((aligned(64)));
static float BPACK[KC * NC] __attribute__((aligned(64)));

/* ---------------------------------------------------------------- packing */

/*
 * Packs the rows×kc matrix X(i, p) = src[i·rs + p·cs] into ⌈rows/W⌉ micro-panels of W rows, each
 * stored column by column: X(i, p) → dst[(i − i mod W)·kc + p·W + i mod W]; rows past the end are
 * zero (they feed tile rows/columns that are never written back; zero keeps stale, possibly
 * subnormal or NaN, values out of the arithmetic).
 *  - rs = 1 (X's columns contiguous): each (panel, p) is W contiguous floats, copied as vectors;
 *  - cs = 1 (X's rows contiguous): 4×4 blocks are loaded from 4 rows and transposed in registers;
 *  - anything else element by element.
 */
static void pack_panel(float *dst, const float *src, int rs, int cs, int rows, int kc, int W) {
  const int full = rows - rows % W;
  if (rs == 1 && (W % 4) == 0) {
    for (int i = 0; i < full; i += W) {
      float *d = dst + i * kc;
      const float *s = src + i;
      for (int p = 0; p < kc; p++, d += W, s += cs)
        for (int v = 0; v < W; v += 4) wasm_v128_store(d + v, wasm_v128_load(s + v));
    }
  } else if (cs == 1 && (W % 4) == 0) {
    const int kc4 = kc & ~3;
    for (int i = 0; i < full; i += W) {
      float *d = dst + i * kc;
      for (int g = 0; g < W; g += 4) {
        const float *s0 = src + (i + g) * rs, *s1 = s0 + rs, *s2 = s1 + rs, *s3 = s2 + rs;
        int p = 0;
        for (; p < kc4; p += 4) {
          const v128_t r0 = wasm_v128_load(s0 + p), r1 = wasm_v128_load(s1 + p);
          const v128_t r2 = wasm_v128_load(s2 + p), r3 = wasm_v128_load(s3 + p);
          const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
          const v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
          const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
          const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
          wasm_v128_store(d + (p + 0) * W + g, wasm_i64x2_shuffle(t0, t2, 0, 2));
          wasm_v128_store(d + (p + 1) * W + g, wasm_i64x2_shuffle(t0, t2, 1, 3));
          wasm_v128_store(d + (p + 2) * W + g, wasm_i64x2_shuffle(t1, t3, 0, 2));
          wasm_v128_store(d + (p + 3) * W + g, wasm_i64x2_shuffle(t1, t3, 1, 3));
        }
        for (; p < kc; p++) {
          d[p * W + g + 0] = s0[p];
          d[p * W + g + 1] = s1[p];
          d[p * W + g + 2] = s2[p];
          d[p * W + g + 3] = s3[p];
        }
      }
    }
  } else {
    for (int i = 0; i < full; i += W) {
      float *d = dst + i * kc;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < W; r++) d[p * W + r] = src[(i + r) * rs + p * cs];
    }
  }
  if (full < rows) { /* last, partial panel: zero padded */
    float *d = dst + full * kc;
    const int rem = rows - full;
    for (int p = 0; p < kc; p++)
      for (int r = 0; r < W; r++) d[p * W + r] = r < rem ? src[(full + r) * rs + p * cs] : 0.0f;
  }
}

/* ---------------------------------------------------------------- micro-kernel */

/*
 * acc = Σ_p A[p·MR + r]·B[p·NR + j]; then C(r, j) = alpha·acc + beta·C(r, j) (beta = 0: not read)
 * for the full tile, C(r, j) being C[r·ldc + j], or C[j·ldc + r] when cT (C stored transposed:
 * the product was turned around), or, when tile ≠ 0, the raw tile goes to `tile` for the caller.
 */
static CV_NOINLINE void kernel(int kc, const float *restrict A, const float *restrict B, float *C,
                               int ldc, int cT, float alpha, float beta, float *tile) {
  v128_t acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_const_splat(0.0f);
  for (int p = 0; p < kc; p++) {
    v128_t b[NV];
    for (int v = 0; v < NV; v++) b[v] = wasm_v128_load(B + 4 * v);
    for (int r = 0; r < MR; r++) {
      const v128_t a = wasm_v128_load32_splat(A + r);
      for (int v = 0; v < NV; v++) acc[r][v] = CV_MADD_F32X4(acc[r][v], a, b[v]);
    }
    A += MR;
    B += NR;
  }
  if (tile != 0) {
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) wasm_v128_store(tile + r * NR + 4 * v, acc[r][v]);
    return;
  }
  const v128_t va = wasm_f32x4_splat(alpha);
#if MR == 4
  if (cT) { /* 4×4 register transposes: column j of the tile is 4 contiguous floats of C */
    const v128_t vb = wasm_f32x4_splat(beta);
    for (int v = 0; v < NV; v++) {
      const v128_t t0 = wasm_i32x4_shuffle(acc[0][v], acc[1][v], 0, 4, 1, 5);
      const v128_t t1 = wasm_i32x4_shuffle(acc[0][v], acc[1][v], 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(acc[2][v], acc[3][v], 0, 4, 1, 5);
      const v128_t t3 = wasm_i32x4_shuffle(acc[2][v], acc[3][v], 2, 6, 3, 7);
      const v128_t col[4] = {wasm_i64x2_shuffle(t0, t2, 0, 2), wasm_i64x2_shuffle(t0, t2, 1, 3),
                             wasm_i64x2_shuffle(t1, t3, 0, 2), wasm_i64x2_shuffle(t1, t3, 1, 3)};
      for (int q = 0; q < 4; q++) {
        float *c = C + (4 * v + q) * ldc;
        const v128_t x = wasm_f32x4_mul(va, col[q]);
        wasm_v128_store(c, beta == 0 ? x : wasm_f32x4_add(x, wasm_f32x4_mul(vb, wasm_v128_load(c))));
      }
    }
    return;
  }
#endif
  if (beta == 0) {
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) wasm_v128_store(C + r * ldc + 4 * v, wasm_f32x4_mul(va, acc[r][v]));
  } else {
    const v128_t vb = wasm_f32x4_splat(beta);
    for (int r = 0; r < MR; r++)
      for (int v = 0; v < NV; v++) {
        float *c = C + r * ldc + 4 * v;
        wasm_v128_store(c, wasm_f32x4_add(wasm_f32x4_mul(va, acc[r][v]),
                                          wasm_f32x4_mul(vb, wasm_v128_load(c))));
      }
  }
}

/* C(i, j) = alpha·tile[i·NR + j] + beta·C(i, j) for i < mr, j < nr (C not read when beta = 0). */
static void write_tile(const float *tile, int mr, int nr, float *c, int crs, int ccs, float alpha,
                       float beta) {
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) {
      float *cij = c + i * crs + j * ccs;
      *cij = beta == 0 ? alpha * tile[i * NR + j] : alpha * tile[i * NR + j] + beta * *cij;
    }
}

/* ---------------------------------------------------------------- gemv */

/*
 * n = 1: y(i) = alpha·Σ_p A(i, p)·x(p) + beta·y(i), A(i, p) = a[i·ars + p·acs], x(p) = b[p·bcs],
 * y(i) = c[i·crs]. Rows of A contiguous (acs = 1): four dot products per sweep over x, SIMD along
 * p. Columns contiguous (ars = 1): y += x(p)·A(:, p), four columns per sweep, SIMD along i, y
 * accumulated in the A packing buffer in chunks. x is first copied to the B packing buffer when
 * strided.
 */
static void gemv(int m, int k, float alpha, const float *a, int ars, int acs, const float *b,
                 int bcs, float beta, float *c, int crs, float *apack, float *bpack) {
  const float *x = b;
  if (bcs != 1) {
    if (k > KC * NC) goto generic;
    for (int p = 0; p < k; p++) bpack[p] = b[p * bcs];
    x = bpack;
  }
  if (acs == 1) {
    const int k4 = k & ~3;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      const float *r0 = a + i * ars, *r1 = r0 + ars, *r2 = r1 + ars, *r3 = r2 + ars;
      v128_t s0 = wasm_f32x4_const_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      int p = 0;
      for (; p < k4; p += 4) {
        const v128_t xv = wasm_v128_load(x + p);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(r0 + p), xv));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(r1 + p), xv));
        s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(r2 + p), xv));
        s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(r3 + p), xv));
      }
      /* horizontal sums of the four accumulators at once (4×4 transpose, then add) */
      const v128_t t0 = wasm_i32x4_shuffle(s0, s1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(s0, s1, 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(s2, s3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(s2, s3, 2, 6, 3, 7);
      v128_t sum = wasm_f32x4_add(wasm_f32x4_add(wasm_i64x2_shuffle(t0, t2, 0, 2), wasm_i64x2_shuffle(t0, t2, 1, 3)),
                                  wasm_f32x4_add(wasm_i64x2_shuffle(t1, t3, 0, 2), wasm_i64x2_shuffle(t1, t3, 1, 3)));
      float y[4];
      wasm_v128_store(y, sum);
      for (; p < k; p++) {
        y[0] += r0[p] * x[p];
        y[1] += r1[p] * x[p];
        y[2] += r2[p] * x[p];
        y[3] += r3[p] * x[p];
      }
      for (int q = 0; q < 4; q++) {
        float *ci = c + (i + q) * crs;
        *ci = beta == 0 ? alpha * y[q] : alpha * y[q] + beta * *ci;
      }
    }
    for (; i < m; i++) {
      const float *r = a + i * ars;
      v128_t s = wasm_f32x4_const_splat(0.0f);
      int p = 0;
      for (; p < k4; p += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(r + p), wasm_v128_load(x + p)));
      float y = (wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1)) +
                (wasm_f32x4_extract_lane(s, 2) + wasm_f32x4_extract_lane(s, 3));
      for (; p < k; p++) y += r[p] * x[p];
      float *ci = c + i * crs;
      *ci = beta == 0 ? alpha * y : alpha * y + beta * *ci;
    }
    return;
  }
  if (ars == 1) {
    const int CH = MC * KC; /* y chunk accumulated in APACK */
    for (int i0 = 0; i0 < m; i0 += CH) {
      const int mc = m - i0 < CH ? m - i0 : CH;
      float *y = apack;
      for (int i = 0; i < mc; i++) y[i] = 0;
      const int m4 = mc & ~3;
      int p = 0;
      for (; p + 4 <= k; p += 4) {
        const float *c0 = a + i0 + p * acs, *c1 = c0 + acs, *c2 = c1 + acs, *c3 = c2 + acs;
        const v128_t x0 = wasm_f32x4_splat(x[p]), x1 = wasm_f32x4_splat(x[p + 1]);
        const v128_t x2 = wasm_f32x4_splat(x[p + 2]), x3 = wasm_f32x4_splat(x[p + 3]);
        int i = 0;
        for (; i < m4; i += 4) {
          v128_t t = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(c0 + i), x0), wasm_f32x4_mul(wasm_v128_load(c1 + i), x1));
          t = wasm_f32x4_add(t, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(c2 + i), x2),
                                               wasm_f32x4_mul(wasm_v128_load(c3 + i), x3)));
          wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), t));
        }
        for (; i < mc; i++) y[i] += (c0[i] * x[p] + c1[i] * x[p + 1]) + (c2[i] * x[p + 2] + c3[i] * x[p + 3]);
      }
      for (; p < k; p++) {
        const float *c0 = a + i0 + p * acs;
        const v128_t x0 = wasm_f32x4_splat(x[p]);
        int i = 0;
        for (; i < m4; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(wasm_v128_load(c0 + i), x0)));
        for (; i < mc; i++) y[i] += c0[i] * x[p];
      }
      for (int i = 0; i < mc; i++) {
        float *ci = c + (i0 + i) * crs;
        *ci = beta == 0 ? alpha * y[i] : alpha * y[i] + beta * *ci;
      }
    }
    return;
  }
generic:
  for (int i = 0; i < m; i++) {
    float y = 0;
    for (int p = 0; p < k; p++) y += a[i * ars + p * acs] * b[p * bcs];
    float *ci = c + i * crs;
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
static void blocked(int m, int n, int k, float alpha, const float *a, int ars, int acs, const float *b,
                    int brs, int bcs, float beta, float *c, int crs, int ccs, float *apack, float *bpack) {
  float tile[MR * NR] __attribute__((aligned(16)));
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = n - jc < NC ? n - jc : NC;
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = k - pc < KC ? k - pc : KC;
      const float bet = pc == 0 ? beta : 1.0f;
      pack_panel(bpack, b + jc * brs + pc * bcs, brs, bcs, nc, kc, NR);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = m - ic < MC ? m - ic : MC;
        pack_panel(apack, a + ic * ars + pc * acs, ars, acs, mc, kc, MR);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? mc - ir : MR;
            float *cij = c + (ic + ir) * crs + (jc + jr) * ccs;
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
static void gemm_part(int m, int n, int k, float alpha, const float *a, int ars, int acs, const float *b,
                      int brs, int bcs, float beta, float *c, int crs, int ccs, int part, int parts,
                      float *apack, float *bpack) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { /* empty sum: C = alpha·0 + beta·C */
    if (part != 0) return;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float *cij = c + i * crs + j * ccs;
        *cij = beta == 0 ? alpha * 0.0f : alpha * 0.0f + beta * *cij;
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

void cv_gemm_strided_f32(int m, int n, int k, float alpha, const float *a, int ars, int acs,
                         const float *b, int brs, int bcs, float beta, float *c, int crs, int ccs) {
  gemm_part(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, crs, ccs, 0, 1, APACK, BPACK);
}

void cv_gemm_f32(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
  cv_gemm_part_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, 1, 0);
}

void cv_gemm_part_f32(int transA, int transB, int m, int n, int k, float alpha, const float *a,
                      int lda, const float *b, int ldb, float beta, float *c, int ldc, int part,
                      int parts, void *scratch) {
  /* op(A)(i, p) = a[i·ars + p·acs]; op(B)(p, j) = b[j·brs + p·bcs]. */
  const int ars = transA ? 1 : lda, acs = transA ? lda : 1;
  const int brs = transB ? ldb : 1, bcs = transB ? 1 : ldb;
  if (parts < 1 || part < 0 || part >= parts) return;
  float *apack = scratch ? (float *)scratch : APACK;
  float *bpack = scratch ? (float *)scratch + MC * KC : BPACK;
  gemm_part(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc, 1, part, parts, apack, bpack);
}

size_t cv_gemm_scratch_bytes_f32(void) { return sizeof(float) * (MC * KC + KC * NC); }

#ifdef CV_RELAXED_FMA
/*
 * Present only in the relaxed-SIMD FMA builds (exported by scripts/build-wasm.mjs, not part of the
 * ABI in curvature.h): the loader reports a module that exports it as the 'fma' variant.
 */
int cv_relaxed_fma(void) { return 1; }
#endif
