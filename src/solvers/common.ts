import type { FloatDType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { add, allFinite, concat, matmul, mul, reshape, sub, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyToColumns, checkVector, type LinearOperator } from '../operators/linear-operator.js';
import { norm2Columns } from './vector-ops.js';

/**
 * Helpers shared by the solvers in this folder: argument checks, the damped product, column
 * bookkeeping, and the conventions an operator can use to tell a solver more about itself.
 */

export { isShiftedOperator, splitShift, type ShiftedOperator } from '../operators/linear-operator.js';

/** A preconditioner function that also accepts [n, k] blocks (applied column-wise). */
export type BlockPreconditioner = ((r: Tensor) => Tensor) & { readonly acceptsBlocks: true };

/** Marks `fn` as accepting [n] and [n, k] alike. */
export function blockPreconditioner(fn: (r: Tensor) => Tensor): BlockPreconditioner {
  return Object.assign(fn, { acceptsBlocks: true as const });
}

/** Applies a preconditioner to an [n, k] block: in one call when it accepts blocks, else column by column. */
export function applyPreconditioner(m: (r: Tensor) => Tensor, r: Tensor): Tensor {
  if (r.rank === 1 || (m as Partial<BlockPreconditioner>).acceptsBlocks) return m(r);
  return tidy(() => {
    const n = r.shape[0]!, k = r.shape[1]!;
    const cols: Tensor[] = [];
    for (let j = 0; j < k; j++) cols.push(reshape(m(reshape(sliceColumn(r, j), [n])), [n, 1]));
    return concat(cols, 1);
  });
}

/** Checks b against op (shape, dtype, finite values) and returns it as an [n, k] block. */
export function rhsBlock(op: LinearOperator, b: Tensor, method: string): Tensor {
  checkVector(op, b, method);
  if (b.rank === 2 && b.shape[1] === 0) throw new ShapeError(`${method}: the right-hand side block has no columns`);
  if (!allFinite(b)) throw new InputError(`${method}: the right-hand side contains NaN or Inf`);
  return b.rank === 1 ? reshape(b, [op.size, 1]) : b;
}

/** Back to the caller's layout: [n] when b was a vector. */
export function restoreShape(x: Tensor, b: Tensor): Tensor {
  return b.rank === 1 ? reshape(x, [x.shape[0]!]) : x;
}

/** V ↦ (A + λI)·V for [n] or [n, k]. */
export function dampedApply(op: LinearOperator, damping: number): (v: Tensor) => Tensor {
  return (v) => tidy(() => {
    const av = v.rank === 1 ? op.matvec(v) : applyToColumns(op, v);
    return damping === 0 ? av : add(av, mul(v, damping));
  });
}

/** Euclidean norms of the columns of an [n, k] block (or of a vector) as host numbers. */
export function columnNorms(v: Tensor): Float64Array {
  return tidy(() => Float64Array.from(norm2Columns(v).dataSync()));
}

export { sliceColumn, checkInteger, checkNonNegative } from '../operators/checks.js';
import { sliceColumn } from '../operators/checks.js';

/** The columns `cols` of an [n, k] block, as [n, cols.length] (a product with a selection matrix). */
export function selectColumns(v: Tensor, cols: readonly number[]): Tensor {
  const k = v.shape[1]!;
  if (cols.length === k && cols.every((c, i) => c === i)) return v;
  const s = new Float64Array(k * cols.length);
  cols.forEach((c, i) => { s[c * cols.length + i] = 1; });
  return matmul(v, tensor(s, [k, cols.length], v.dtype));
}

/** An [m, a] host matrix spread onto the columns `cols` of an [m, k] tensor (zeros elsewhere). */
export function spreadColumns(a: Float64Array, m: number, cols: readonly number[], k: number, dtype: FloatDType): Tensor {
  const out = new Float64Array(m * k);
  const w = cols.length;
  for (let i = 0; i < m; i++) for (let j = 0; j < w; j++) out[i * k + cols[j]!] = a[i * w + j]!;
  return tensor(out, [m, k], dtype);
}

/** Machine epsilon of a float dtype. */
export function epsilonOf(dtype: FloatDType): number {
  return dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}

/** Stopping tolerances as CG reads them: ‖r‖ ≤ max(rtol·‖b‖, atol), not both zero. */
export function checkTolerances(method: string, rtol: number, atol: number): void {
  if (!(rtol >= 0) || !(atol >= 0) || (rtol === 0 && atol === 0)) {
    throw new InputError(`${method}: rtol and atol must be ≥ 0 and not both 0, got rtol ${rtol}, atol ${atol}`);
  }
}

/** Rejects an operator that is not symmetric (every solver here assumes A = Aᵀ). */
export function requireSymmetric(op: LinearOperator, method: string): void {
  if (!op.symmetric) throw new InputError(`${method}: the operator must be symmetric`);
}

/** max over columns of ‖b − (A + λI)·x‖ (one operator product per column). */
export function trueResidual(op: LinearOperator, damping: number, b: Tensor, x: Tensor): number {
  return tidy(() => {
    const r = norm2Columns(sub(b, dampedApply(op, damping)(x))).dataSync();
    let m = 0;
    for (const v of r) m = Math.max(m, v);
    return m;
  });
}
