import type { TypedArray } from '../types.js';

/*
 * GEMM for the reference backend: C = alpha·op(A)·op(B) + beta·C, row-major, in plain scalar
 * JavaScript. The blocked path follows Goto & van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008:
 *
 *   for i0 in 0..m step MB                 band of C rows, accumulated in ACC (float64)
 *     for jc in 0..n step NC               column panel of C
 *       for pc in 0..k step KC             rank-KC update
 *         pack op(B)[pc:pc+KC, jc:jc+NC] → BP    (NR-column micro-panels, zero padded)
 *         for ic in i0..i0+MB step MC
 *           pack op(A)[ic:ic+MC, pc:pc+KC] → AP  (MR-row micro-panels, zero padded)
 *           for jr in 0..NC step NR, ir in 0..MC step MR
 *             MR×NR micro-kernel: ACC tile (+)= AP micro-panel · BP micro-panel
 *       C[i0.., jc..] = alpha·ACC + beta·C       (the only place C is read or written)
 *
 * Packing turns every operand access of the inner loop into a unit-stride read of a Float64Array,
 * whatever the transposes, leading dimensions and element type of the inputs, and keeps the
 * operands in cache: a KC×NR micro-panel of B stays in L1 while it sweeps the MC×KC block of A
 * (L2). The micro-kernel holds its MR×NR accumulators in local variables (registers) and reads
 * MR + NR values per 2·MR·NR flops.
 *
 * Semantics: sums are carried in double precision over the whole k range (registers, then ACC)
 * and rounded once, when stored to C, so float32 results are within a few ulps of the correctly
 * rounded product. No multiply is ever skipped, so NaN/Inf in A or B propagate; zero padding only
 * feeds tile rows/columns that are never written back; beta = 0 overwrites C without reading it.
 *
 * V8-specific choices, measured with bench/js-gemm.ts (x64, Node 20):
 *  - AP, BP and ACC are fixed-size module-level constants, so optimized code embeds their address
 *    and length instead of re-checking an array argument on every load (~1.4× in the kernel);
 *  - kernel indices are masked with IDX so that V8 can drop int32 overflow checks (~1.4×);
 *  - V8 uses 16 scalar XMM registers and has no FMA or SIMD for JS, so a 3×2 tile (6 accumulators)
 *    beats 4×4 (16 accumulators: spills) — 8.5-9 GFLOP/s against ~1.5 for the naive loop;
 *  - the product is turned around (Cᵀ = op(B)ᵀ·op(A)ᵀ) when n > m, as the blocking prefers m ≥ n,
 *    and matrix-vector products (n = 1 after that) skip packing altogether (gemv).
 * The buffers are shared by all calls: JS is single-threaded and gemmKernel never re-enters.
 */

/** Micro-tile: MR rows × NR columns of C per micro-kernel call. */
const MR = 3;
const NR = 2;
/** Depth of a rank-k update (a packed block of A is MC×KC, of B KC×NC). */
const KC = 256;
/** Rows of A packed at once (multiple of MR; MC×KC doubles = 384 KiB, for L2). */
const MC = 192;
/** Columns of B packed at once (multiple of NR; KC×NC doubles = 512 KiB). */
const NC = 256;
/** Rows of C accumulated in ACC before being written back (multiple of MC; ACC is 1.9 MiB). */
const MB = 5 * MC;

const AP = new Float64Array(MC * KC);
const BP = new Float64Array(KC * NC);
const ACC = new Float64Array(MB * NC);
/** Scratch for gemv (x and y), grown on demand. */
let VEC = new Float64Array(1024);

/**
 * `i & IDX` is a no-op for every index into the packed buffers (all < 2^27), but it tells V8's
 * typer that the value is a small non-negative int32, so `i + 1`, `i + MR·kc`, … need no overflow
 * checks in the micro-kernel.
 */
const IDX = 0x7ffffff;

export function gemmKernel(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOff: number, lda: number, b: TypedArray, bOff: number, ldb: number,
  beta: number, c: TypedArray, cOff: number, ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  // From here on: op(A)(i, p) = a[aOff + i·ars + p·acs], op(B)ᵀ(j, p) = b[bOff + j·brs + p·bcs],
  // C(i, j) = c[cOff + i·crs + j·ccs].
  const ars = transA ? 1 : lda, acs = transA ? lda : 1;
  const brs = transB ? ldb : 1, bcs = transB ? 1 : ldb;
  // Cᵀ = op(B)ᵀ·op(A)ᵀ is the same product with the operands' roles and C's strides swapped. The
  // blocking favours m ≥ n (measured: 1.3-1.4× for m ≤ 4 ≪ n, 1.1-1.2× for m = 8..32 ≪ n).
  if (n > m) product(n, m, k, alpha, b, bOff, brs, bcs, a, aOff, ars, acs, beta, c, cOff, 1, ldc);
  else product(m, n, k, alpha, a, aOff, ars, acs, b, bOff, brs, bcs, beta, c, cOff, ldc, 1);
}

/** C = alpha·A·Bᵀ + beta·C with A(i, p), B(j, p), C(i, j) at the given element strides; m ≥ n. */
function product(m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOff: number, ars: number, acs: number, b: TypedArray, bOff: number, brs: number, bcs: number,
  beta: number, c: TypedArray, cOff: number, crs: number, ccs: number): void {
  if (k <= 0) { // empty sum: C = alpha·0 + beta·C
    ACC.fill(0, 0, NC);
    for (let i = 0; i < m; i++) {
      for (let jc = 0; jc < n; jc += NC) {
        writeBack(1, Math.min(NC, n - jc), alpha, 0, beta, c, cOff + i * crs + jc * ccs, crs, ccs);
      }
    }
    return;
  }
  if (n === 1) {
    gemv(m, k, alpha, a, aOff, ars, acs, b, bOff, bcs, beta, c, cOff, crs);
    return;
  }
  for (let i0 = 0; i0 < m; i0 += MB) {
    const mb = Math.min(MB, m - i0);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const ldacc = nc + (NR - nc % NR) % NR; // ACC row stride: nc rounded up to NR
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        pack2(BP, b, bOff + jc * brs + pc * bcs, brs, bcs, nc, kc);
        for (let ic = 0; ic < mb; ic += MC) {
          const mc = Math.min(MC, mb - ic);
          pack3(AP, a, aOff + (i0 + ic) * ars + pc * acs, ars, acs, mc, kc);
          macroKernel(mc, nc, kc, ic * ldacc, ldacc, pc === 0);
        }
      }
      writeBack(mb, nc, alpha, ldacc, beta, c, cOff + i0 * crs + jc * ccs, crs, ccs);
    }
  }
}

/**
 * n = 1: y = A·x (a dot product when m = 1 too). Each element of A is used once, so packing would
 * only add memory traffic: x (gathered into float64 scratch) is read straight against A, by dot
 * products along A's rows when they are contiguous (acs = 1; four rows per sweep over x), else
 * (ars = 1: one of the two strides is always 1) by column updates y += x(p)·A(:, p), four columns
 * per sweep over y.
 */
function gemv(m: number, k: number, alpha: number, a: TypedArray, aOff: number, ars: number, acs: number,
  b: TypedArray, bOff: number, bcs: number, beta: number, c: TypedArray, cOff: number, crs: number): void {
  if (VEC.length < k + m) VEC = new Float64Array(Math.max(k + m, 2 * VEC.length));
  const v = VEC; // x = v[0:k], y = v[k:k+m]
  for (let p = 0; p < k; p++) v[p] = b[bOff + p * bcs];
  if (acs === 1) {
    let i = 0;
    for (; i + 4 <= m; i += 4) { // four rows per sweep over x
      const r0 = aOff + i * ars, r1 = r0 + ars, r2 = r1 + ars, r3 = r2 + ars;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = v[p];
        s0 += a[r0 + p] * x; s1 += a[r1 + p] * x; s2 += a[r2 + p] * x; s3 += a[r3 + p] * x;
      }
      v[k + i] = s0; v[k + i + 1] = s1; v[k + i + 2] = s2; v[k + i + 3] = s3;
    }
    const k4 = k - k % 4;
    for (; i < m; i++) { // remaining rows: four partial sums keep the adds independent
      const r = aOff + i * ars;
      let p = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (; p < k4; p += 4) {
        s0 += a[r + p] * v[p]; s1 += a[r + p + 1] * v[p + 1]; s2 += a[r + p + 2] * v[p + 2]; s3 += a[r + p + 3] * v[p + 3];
      }
      for (; p < k; p++) s0 += a[r + p] * v[p];
      v[k + i] = (s0 + s1) + (s2 + s3);
    }
  } else {
    v.fill(0, k, k + m);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const x0 = v[p], x1 = v[p + 1], x2 = v[p + 2], x3 = v[p + 3];
      const s0 = aOff + p * acs, s1 = s0 + acs, s2 = s1 + acs, s3 = s2 + acs;
      for (let i = 0; i < m; i++) v[k + i] += a[s0 + i] * x0 + a[s1 + i] * x1 + a[s2 + i] * x2 + a[s3 + i] * x3;
    }
    for (; p < k; p++) {
      const xp = v[p], s = aOff + p * acs;
      for (let i = 0; i < m; i++) v[k + i] += a[s + i] * xp;
    }
  }
  for (let i = 0, ci = cOff; i < m; i++, ci += crs) {
    c[ci] = beta === 0 ? alpha * v[k + i] : alpha * v[k + i] + beta * c[ci];
  }
}

/*
 * Packing. pack3 / pack2 copy the rows×kc matrix X(i, p) = src[off + i·rs + p·cs] into dst as
 * ⌈rows/w⌉ panels of w = 3 (A) or 2 (B) rows, each stored column by column:
 * X(i, p) → dst[(i − i mod w)·kc + p·w + i mod w]. Rows past the end of the last panel are set to
 * zero: they only feed tile rows that are never written back, zero just keeps stale (possibly
 * subnormal, i.e. slow) values out of the arithmetic.
 * Each has two unrolled loops, picked so that src is read along its contiguous direction:
 *  - rows of X contiguous (cs = 1): one panel at a time, w parallel row streams;
 *  - columns of X contiguous (rs = 1): four columns p at a time across all panels, so each
 *    panel receives a whole cache line per visit. (One column at a time would write to addresses
 *    4 KiB apart — panel size for kc = 256 — which all map to the same L1 set.)
 * packEdge does what the unrolled loops leave (a partial last panel, kc mod 4 columns).
 */

function pack3(dst: Float64Array, src: TypedArray, off: number, rs: number, cs: number, rows: number, kc: number): void {
  const full = rows - rows % 3;
  if (cs === 1) {
    for (let i = 0; i < full; i += 3) {
      const s0 = off + i * rs, s1 = s0 + rs, s2 = s1 + rs;
      for (let p = 0, d = i * kc; p < kc; p++, d += 3) {
        dst[d] = src[s0 + p]; dst[d + 1] = src[s1 + p]; dst[d + 2] = src[s2 + p];
      }
    }
    packEdge(dst, 3, src, off, rs, cs, full, rows, 0, kc);
  } else {
    const kc4 = kc - kc % 4;
    for (let p = 0; p < kc4; p += 4) {
      const s0 = off + p * cs, s1 = s0 + cs, s2 = s1 + cs, s3 = s2 + cs;
      for (let i = 0, d = p * 3; i < full; i += 3, d += 3 * kc) {
        const t0 = s0 + i * rs, t1 = s1 + i * rs, t2 = s2 + i * rs, t3 = s3 + i * rs;
        dst[d] = src[t0]; dst[d + 1] = src[t0 + rs]; dst[d + 2] = src[t0 + 2 * rs];
        dst[d + 3] = src[t1]; dst[d + 4] = src[t1 + rs]; dst[d + 5] = src[t1 + 2 * rs];
        dst[d + 6] = src[t2]; dst[d + 7] = src[t2 + rs]; dst[d + 8] = src[t2 + 2 * rs];
        dst[d + 9] = src[t3]; dst[d + 10] = src[t3 + rs]; dst[d + 11] = src[t3 + 2 * rs];
      }
    }
    packEdge(dst, 3, src, off, rs, cs, 0, full, kc4, kc);
    packEdge(dst, 3, src, off, rs, cs, full, rows, 0, kc);
  }
}

function pack2(dst: Float64Array, src: TypedArray, off: number, rs: number, cs: number, rows: number, kc: number): void {
  const full = rows - rows % 2;
  if (cs === 1) {
    for (let i = 0; i < full; i += 2) {
      const s0 = off + i * rs, s1 = s0 + rs;
      for (let p = 0, d = i * kc; p < kc; p++, d += 2) {
        dst[d] = src[s0 + p]; dst[d + 1] = src[s1 + p];
      }
    }
    packEdge(dst, 2, src, off, rs, cs, full, rows, 0, kc);
  } else {
    const kc4 = kc - kc % 4;
    for (let p = 0; p < kc4; p += 4) {
      const s0 = off + p * cs, s1 = s0 + cs, s2 = s1 + cs, s3 = s2 + cs;
      for (let i = 0, d = p * 2; i < full; i += 2, d += 2 * kc) {
        const t0 = s0 + i * rs, t1 = s1 + i * rs, t2 = s2 + i * rs, t3 = s3 + i * rs;
        dst[d] = src[t0]; dst[d + 1] = src[t0 + rs];
        dst[d + 2] = src[t1]; dst[d + 3] = src[t1 + rs];
        dst[d + 4] = src[t2]; dst[d + 5] = src[t2 + rs];
        dst[d + 6] = src[t3]; dst[d + 7] = src[t3 + rs];
      }
    }
    packEdge(dst, 2, src, off, rs, cs, 0, full, kc4, kc);
    packEdge(dst, 2, src, off, rs, cs, full, rows, 0, kc);
  }
}

/** Rows i0..rows−1, columns p0..kc−1 of the panel layout above, plus zero rows up to a multiple of w. */
function packEdge(dst: Float64Array, w: number, src: TypedArray, off: number, rs: number, cs: number,
  i0: number, rows: number, p0: number, kc: number): void {
  const end = i0 < rows ? rows + (w - rows % w) % w : rows;
  for (let i = i0; i < end; i++) {
    const r = i % w, base = (i - r) * kc + r;
    for (let p = p0; p < kc; p++) dst[base + p * w] = i < rows ? src[off + i * rs + p * cs] : 0;
  }
}

/** ACC[acc0 + (0:mc)·ldacc + (0:nc)] (+)= AP·BP, one MR×NR tile at a time (padded edges included). */
function macroKernel(mc: number, nc: number, kc: number, acc0: number, ldacc: number, first: boolean): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const pb = jr * kc;
    for (let ir = 0; ir < mc; ir += MR) microKernel(kc, ir * kc, pb, acc0 + ir * ldacc + jr, ldacc, first);
  }
}

/**
 * 3×2 register tile: ACC[ac + r·ldacc + q] (+)= Σ_p AP[pa + 3p + r]·BP[pb + 2p + q]
 * (stores on the first rank-KC update, accumulates on later ones).
 */
function microKernel(kc: number, pa: number, pb: number, ac: number, ldacc: number, first: boolean): void {
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0, c20 = 0, c21 = 0;
  pa &= IDX; pb &= IDX;
  for (const end = pa + 3 * (kc & IDX); pa < end; pa += 3) {
    const a0 = AP[pa], a1 = AP[pa + 1], a2 = AP[pa + 2];
    const b0 = BP[pb], b1 = BP[pb + 1];
    c00 += a0 * b0; c01 += a0 * b1;
    c10 += a1 * b0; c11 += a1 * b1;
    c20 += a2 * b0; c21 += a2 * b1;
    pb = (pb + 2) | 0;
  }
  if (first) {
    ACC[ac] = c00; ACC[ac + 1] = c01; ac += ldacc;
    ACC[ac] = c10; ACC[ac + 1] = c11; ac += ldacc;
    ACC[ac] = c20; ACC[ac + 1] = c21;
  } else {
    ACC[ac] += c00; ACC[ac + 1] += c01; ac += ldacc;
    ACC[ac] += c10; ACC[ac + 1] += c11; ac += ldacc;
    ACC[ac] += c20; ACC[ac + 1] += c21;
  }
}

/** C(i, j) = alpha·ACC[i·ldacc + j] + beta·C(i, j) for i < mb, j < nc (C is not read when beta = 0). */
function writeBack(mb: number, nc: number, alpha: number, ldacc: number, beta: number,
  c: TypedArray, c0: number, crs: number, ccs: number): void {
  for (let i = 0; i < mb; i++) {
    let ci = c0 + i * crs, ai = i * ldacc;
    const end = ai + nc;
    if (beta === 0) for (; ai < end; ai++, ci += ccs) c[ci] = alpha * ACC[ai];
    else for (; ai < end; ai++, ci += ccs) c[ci] = alpha * ACC[ai] + beta * c[ci];
  }
}
