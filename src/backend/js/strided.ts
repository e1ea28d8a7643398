import { contiguousStrides } from '../strides.js';

export { contiguousStrides };

/**
 * N-dimensional strided iteration, the one loop behind broadcasting binary ops, `where` and copies.
 * The last axis is the inner loop; the outer axes advance an index counter like an odometer.
 */

/** Calls `body(offsets, innerLen, innerStrides)` once per row of the last axis. */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets0: readonly number[],
  body: (offsets: number[], innerLen: number, innerStrides: number[]) => void,
): void {
  const rank = shape.length;
  const nOps = strides.length;
  for (const d of shape) if (d === 0) return;
  if (rank === 0) {
    body(offsets0.slice(), 1, new Array<number>(nOps).fill(0));
    return;
  }
  const innerLen = shape[rank - 1]!;
  const innerStrides = strides.map((s) => s[rank - 1]!);
  const counter = new Array<number>(rank - 1).fill(0);
  const offsets = offsets0.slice();
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= shape[d]!;
  for (let row = 0; row < rows; row++) {
    body(offsets, innerLen, innerStrides);
    // Advance the odometer over the outer axes, from the second-to-last backwards.
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]!++;
      for (let o = 0; o < nOps; o++) offsets[o]! += strides[o]![d]!;
      if (counter[d]! < shape[d]!) break;
      for (let o = 0; o < nOps; o++) offsets[o]! -= strides[o]![d]! * shape[d]!;
      counter[d] = 0;
    }
  }
}

/** Collapses adjacent axes that are contiguous in every operand, so loops run long inner rows. */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue; // a size-1 axis moves no offset
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, o) => outStrides[o]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strides.forEach((s, o) => (outStrides[o]![last] = s[d]!));
    } else {
      outShape.push(n);
      strides.forEach((s, o) => outStrides[o]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}
