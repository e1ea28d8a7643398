import type { TypedArray } from '../types.js';

/**
 * Reference GEMM: C = alpha·op(A)·op(B) + beta·C, row-major, accumulating in double precision
 * (a Float64Array row buffer), so float32 results are the exactly-rounded-per-output reference.
 */
export function gemmKernel(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOff: number, lda: number, b: TypedArray, bOff: number, ldb: number,
  beta: number, c: TypedArray, cOff: number, ldc: number,
): void {
  const acc = new Float64Array(n);
  // B accessed by rows when not transposed; otherwise take a transposed copy once so the
  // inner loop always runs over contiguous memory.
  let bRows = b, bRowOff = bOff, bLd = ldb;
  if (transB) {
    const bt = new Float64Array(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bt[p * n + j] = b[bOff + j * ldb + p]!;
    bRows = bt; bRowOff = 0; bLd = n;
  }
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
      const row = bRowOff + p * bLd;
      for (let j = 0; j < n; j++) acc[j]! += aip * bRows[row + j]!;
    }
    const crow = cOff + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[crow + j] = alpha * acc[j]!;
    else for (let j = 0; j < n; j++) c[crow + j] = alpha * acc[j]! + beta * c[crow + j]!;
  }
}
