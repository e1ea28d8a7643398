import type { TypedArray } from '../types.js';

/*
 * Blocked GEMM in plain JavaScript, after Goto & van de Geijn, "Anatomy of high-performance
 * matrix multiplication", ACM TOMS 34(3), 2008.
 *
 * C (m×n) = alpha·op(A) (m×k) · op(B) (k×n) + beta·C is computed as
 *
 *   for i0 in 0..m step MB                 row band of C, accumulated in ACC (MB×NC, float64)
 *     for jc in 0..n step NC               column panel of C
 *       for pc in 0..k step KC             rank-KC update
 *         pack op(B)[pc:pc+KC, jc:jc+NC] → BP   (NR-column micro-panels, zero padded)
 *         for ic in i0..i0+MB step MC
 *           pack op(A)[ic:ic+MC, pc:pc+KC] → AP (MR-row micro-panels, zero padded)
 *           for jr in 0..NC step NR, ir in 0..MC step MR
 *             MR×NR micro-kernel: ACC tile += AP micro-panel · BP micro-panel
 *       C[i0.., jc..] = alpha·ACC + beta·C  (the only place C is read or written)
 *
 * Packing turns every operand access of the inner loop into a unit-stride read of a Float64Array
 * (whatever the transposes, leading dimensions and element type of the inputs), and keeps the
 * micro-panels in cache: a KC×NR sliver of B stays in L1 while it sweeps the MC×KC block of A.
 * The micro-kernel keeps its MR×NR accumulators in local variables (registers) and reads MR + NR
 * values per 2·MR·NR flops. Sums are carried in double precision across the whole k range (in
 * registers, then ACC) and rounded once when stored to C, so float32 results are within a few
 * ulps of the correctly rounded product. Zero padding only feeds rows/columns that are never
 * written back, and no multiply is ever skipped, so NaN/Inf in A or B propagate as in the naive
 * loop; beta = 0 overwrites C without reading it.
 *
 * V8-specific choices (measured, see bench/js-gemm.ts): the packed buffers are fixed-size
 * module-level constants, so optimized code embeds their address and length instead of
 * re-checking an array argument on every load — this alone is worth ~40% in the micro-kernel.
 * x64 V8 has 16 XMM registers and no FMA/SIMD from JS, so a small 3×2 tile (6 accumulators)
 * beats 4×4 (16 accumulators spill). The buffers are shared by all calls; that is safe because
 * JS is single-threaded and gemmKernel never re-enters itself.
 */

/** Micro-tile: MR rows × NR columns of C per micro-kernel call. */
const MR = 3;
const NR = 2;
/** Depth of a rank-k update (one packed block of A is MC×KC, of B KC×NC). */
const KC = 256;
/** Rows of A packed at once (multiple of MR; MC×KC doubles ≈ 192 KiB, sized for L2). */
const MC = 96;
/** Columns of B packed at once (multiple of NR); also the row stride of ACC. */
const NC = 256;
/** Rows of C accumulated in ACC before being written back (multiple of MC). */
const MB = 10 * MC;

const AP = new Float64Array(MC * KC);
const BP = new Float64Array(KC * NC);
const ACC = new Float64Array(MB * NC);

/**
 * `i & IDX` is a no-op for every index into the packed buffers (all < 2^27), but it tells V8's
 * typer that the value is a small non-negative int32, so `i + 1`, `i + MR·kc`, … need no overflow
 * checks in the micro-kernel (worth ~40% there).
 */
const IDX = 0x7ffffff;

export function gemmKernel(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOff: number, lda: number, b: TypedArray, bOff: number, ldb: number,
  beta: number, c: TypedArray, cOff: number, ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    // Empty sum: C = alpha·0 + beta·C.
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * ldc;
      if (beta === 0) for (let j = 0; j < n; j++) c[ci + j] = alpha * 0;
      else for (let j = 0; j < n; j++) c[ci + j] = alpha * 0 + beta * c[ci + j];
    }
    return;
  }
  // op(A)(i, p) = a[aOff + i·ars + p·acs]; op(B)ᵀ(j, p) = op(B)(p, j) = b[bOff + j·brs + p·bcs].
  const ars = transA ? 1 : lda, acs = transA ? lda : 1;
  const brs = transB ? ldb : 1, bcs = transB ? 1 : ldb;
  for (let i0 = 0; i0 < m; i0 += MB) {
    const mb = Math.min(MB, m - i0);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const ldacc = nc + (NR - nc % NR) % NR; // ACC row stride: nc rounded up to NR
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        pack(BP, NR, b, bOff + jc * brs + pc * bcs, brs, bcs, nc, kc);
        for (let ic = 0; ic < mb; ic += MC) {
          const mc = Math.min(MC, mb - ic);
          pack(AP, MR, a, aOff + (i0 + ic) * ars + pc * acs, ars, acs, mc, kc);
          macroKernel(mc, nc, kc, ic * ldacc, ldacc, pc === 0);
        }
      }
      writeBack(mb, nc, alpha, ACC, ldacc, beta, c, cOff + i0 * ldc + jc, ldc);
    }
  }
}

/**
 * dst ← the rows×kc matrix X(i, p) = src[off + i·rs + p·cs] as ⌈rows/w⌉ panels of w rows, each
 * stored column by column: X(i, p) goes to dst[(i − i mod w)·kc + p·w + i mod w]. Rows past the
 * end of the last panel are zero.
 */
function pack(dst: Float64Array, w: number, src: TypedArray, off: number, rs: number, cs: number,
  rows: number, kc: number): void {
  if (cs === 1 || rs !== 1) {
    // Rows of X contiguous in src (e.g. A not transposed): copy row by row.
    for (let i = 0; i < rows; i++) {
      let d = (i - i % w) * kc + i % w, s = off + i * rs;
      for (let p = 0; p < kc; p++, d += w, s += cs) dst[d] = src[s];
    }
  } else {
    // Columns of X contiguous (e.g. B not transposed): copy column by column, so that src is read
    // sequentially (reading it with a large stride costs a TLB miss per element).
    for (let p = 0; p < kc; p++) {
      const s = off + p * cs;
      for (let i = 0; i < rows; i++) dst[(i - i % w) * kc + p * w + i % w] = src[s + i];
    }
  }
  for (let i = rows; i % w !== 0; i++) {
    for (let p = 0, d = (i - i % w) * kc + i % w; p < kc; p++, d += w) dst[d] = 0;
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

/** C[c0 + i·ldc + j] = alpha·acc[i·ldacc + j] + beta·C[…] (C is not read when beta = 0). */
function writeBack(mb: number, nc: number, alpha: number, acc: Float64Array, ldacc: number, beta: number,
  c: TypedArray, c0: number, ldc: number): void {
  for (let i = 0; i < mb; i++) {
    const ci = c0 + i * ldc, ai = i * ldacc;
    if (beta === 0) for (let j = 0; j < nc; j++) c[ci + j] = alpha * acc[ai + j];
    else for (let j = 0; j < nc; j++) c[ci + j] = alpha * acc[ai + j] + beta * c[ci + j];
  }
}
