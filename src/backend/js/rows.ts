import { DTypeError, InputError, ShapeError } from '../../errors.js';
import type { BackendBuffer, TypedArray } from '../types.js';

/**
 * Argument checks shared by the fused kernels (softmax, cross-entropy, tanhGrad) of every backend: float
 * operands of one dtype, x holding rows×cols and out holding `outSize` elements.
 */
export function checkRows(what: string, x: BackendBuffer, rows: number, cols: number, outSize: number, out: BackendBuffer): void {
  for (const [name, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ShapeError(`${what}: ${name} must be a non-negative integer, got ${v}`);
  }
  if (x.dtype === 'int32' || out.dtype !== x.dtype) {
    throw new DTypeError(`${what}: needs float32 or float64 input and output of one dtype, got ${x.dtype} → ${out.dtype}`);
  }
  if (rows * cols > x.size) throw new ShapeError(`${what}: ${rows}×${cols} needs ${rows * cols} input elements, buffer has ${x.size}`);
  if (outSize > out.size) throw new ShapeError(`${what}: needs ${outSize} output elements, buffer has ${out.size}`);
}

/** Labels: int32, at least `rows` of them, each of `values` (a view of the labels) in [0, cols). */
export function checkLabels(labels: BackendBuffer, rows: number, cols: number, values?: TypedArray): void {
  if (labels.dtype !== 'int32') throw new DTypeError(`crossEntropy: labels must be int32, got ${labels.dtype}`);
  if (rows > labels.size) throw new ShapeError(`crossEntropy: ${rows} rows but ${labels.size} labels`);
  if (!values) return;
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < cols)) throw new InputError(`crossEntropy: label ${v} at row ${i} is outside [0, ${cols})`);
  }
}

/** n elements in each buffer, all float32 or all float64. */
export function checkSameFloat(what: string, n: number, bufs: BackendBuffer[]): void {
  if (!Number.isInteger(n) || n < 0) throw new ShapeError(`${what}: n must be a non-negative integer, got ${n}`);
  const dt = bufs[0]!.dtype;
  for (const b of bufs) {
    if (b.dtype === 'int32' || b.dtype !== dt) throw new DTypeError(`${what}: needs float32 or float64 operands of one dtype, got ${bufs.map((x) => x.dtype).join(', ')}`);
    if (n > b.size) throw new ShapeError(`${what}: n = ${n} exceeds a buffer of ${b.size} elements`);
  }
}
