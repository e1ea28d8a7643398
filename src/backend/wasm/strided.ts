/**
 * Stride bookkeeping done in TypeScript before a strided wasm kernel runs: collapsing axes and
 * splitting a rank above the ABI's limit into kernel-sized blocks (the extent each operand
 * touches is checked against its buffer by the shared checks, src/backend/checks.ts).
 */
import { MAX_KERNEL_RANK } from './ops.js';

export interface Strided {
  shape: number[];
  /** One stride list per operand. */
  strides: number[][];
}

/**
 * Drops size-1 axes and merges adjacent axes that are contiguous in every operand. Returns null
 * when some axis has size 0 (nothing to do). A scalar becomes shape [1] with zero strides.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Strided | null {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 0) return null;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, o) => outStrides[o]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      for (let o = 0; o < strides.length; o++) outStrides[o]![last] = strides[o]![d]!;
    } else {
      outShape.push(n);
      for (let o = 0; o < strides.length; o++) outStrides[o]!.push(strides[o]![d]!);
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `body(blockShape, blockStrides, offsets)` for kernel-sized blocks covering `shape`: once
 * when rank ≤ MAX_KERNEL_RANK, else once per index of the leading rank − MAX_KERNEL_RANK axes
 * (offsets in elements, per operand).
 */
export function forEachBlock(
  s: Strided,
  body: (shape: number[], strides: number[][], offsets: number[]) => void,
): void {
  const rank = s.shape.length;
  const nOps = s.strides.length;
  if (rank <= MAX_KERNEL_RANK) {
    body(s.shape, s.strides, new Array<number>(nOps).fill(0));
    return;
  }
  const lead = rank - MAX_KERNEL_RANK;
  const shape = s.shape.slice(lead);
  const strides = s.strides.map((st) => st.slice(lead));
  const counter = new Array<number>(lead).fill(0);
  const offsets = new Array<number>(nOps).fill(0);
  let blocks = 1;
  for (let d = 0; d < lead; d++) blocks *= s.shape[d]!;
  for (let b = 0; b < blocks; b++) {
    body(shape, strides, offsets);
    for (let d = lead - 1; d >= 0; d--) {
      counter[d]!++;
      for (let o = 0; o < nOps; o++) offsets[o]! += s.strides[o]![d]!;
      if (counter[d]! < s.shape[d]!) break;
      for (let o = 0; o < nOps; o++) offsets[o]! -= s.strides[o]![d]! * s.shape[d]!;
      counter[d] = 0;
    }
  }
}
