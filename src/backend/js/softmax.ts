import type { FloatArray, TypedArray } from '../types.js';

/**
 * Row-wise softmax / log-softmax of a rows×cols row-major matrix, in double (the reference for
 * wasm/src/softmax.c). With m = max_j x_j and S = Σ_j e^{x_j − m}: softmax_j = e^{x_j − m}/S,
 * log-softmax_j = (x_j − m) − log S. NaN in a row propagates to the whole row through S.
 */
export function softmaxKernel(x: TypedArray, rows: number, cols: number, out: FloatArray, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = rowMax(x, o, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    if (log) {
      const ls = Math.log(s);
      for (let j = 0; j < cols; j++) out[o + j] = (x[o + j]! - m) - ls;
    } else {
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j]! - m) / s;
    }
  }
}

/** out[r] = log S − (z[r, y_r] − m) = −log softmax(z_r)[y_r] for labels y already in [0, cols). */
export function crossEntropyKernel(z: TypedArray, labels: TypedArray, rows: number, cols: number, out: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = rowMax(z, o, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(z[o + j]! - m);
    out[r] = Math.log(s) - (z[o + labels[r]!]! - m);
  }
}

/** The row maximum, skipping NaN (which reaches the result through the sum of exponentials). */
function rowMax(x: TypedArray, o: number, n: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) if (x[o + j]! > m) m = x[o + j]!;
  return m;
}
