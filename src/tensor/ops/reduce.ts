import type { ReduceOp } from '../../backend/types.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { contiguousStrides, normalizeAxis, requireFloat, sizeOf } from '../util.js';
import { add, div, equal, exp, log, square, stopGradient, sub } from './elementwise.js';
import { broadcastTo, reshape } from './shape.js';
import { kernels } from '../kernels.js';

export interface ReduceParams { op: ReduceOp; axes: number[]; keepDims: boolean }

export const reducePrimitive = definePrimitive<ReduceParams>('reduce', ([x], { op, axes, keepDims }) => {
  const outShape = reducedShape(x!.shape, axes, keepDims);
  const out = empty(outShape, x!.dtype, x!.backend);
  const backend = x!.backend;
  const lo = axes[0]!, hi = axes[axes.length - 1]!;
  if (hi - lo + 1 === axes.length) {
    // The reduced axes are one contiguous block: view x as [outer, r, inner].
    const outer = sizeOf(x!.shape.slice(0, lo));
    const r = sizeOf(x!.shape.slice(lo, hi + 1));
    kernels(backend).reduce(op, x!.buffer, outer, r, x!.size / (outer * r || 1), out.buffer);
    return out;
  }
  // Otherwise move the reduced axes last with one strided copy, then reduce [outer, r, 1].
  const kept = x!.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const permShape = perm.map((p) => x!.shape[p]!);
  const tmp = backend.alloc(x!.dtype, x!.size);
  const src = contiguousStrides(x!.shape);
  kernels(backend).copy(permShape, x!.buffer, 0, perm.map((p) => src[p]!), tmp, 0, contiguousStrides(permShape));
  const r = sizeOf(axes.map((a) => x!.shape[a]!));
  kernels(backend).reduce(op, tmp, x!.size / (r || 1), r, 1, out.buffer);
  backend.free(tmp);
  return out;
});

export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function normAxes(x: Tensor, axis: number | readonly number[] | undefined, op: string): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  return [...new Set(list.map((a) => normalizeAxis(a, x.rank, op)))].sort((a, b) => a - b);
}

function reduce(op: ReduceOp, x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  requireFloat(op, x);
  const axes = normAxes(x, axis, op);
  if (axes.length === 0) return x;
  return bind(reducePrimitive, [x], { op, axes, keepDims });
}

/** Sum over `axis` (default: all axes). */
export const sum = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor => reduce('sum', x, axis, keepDims);
export const max = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor => reduce('max', x, axis, keepDims);
export const min = (x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor => reduce('min', x, axis, keepDims);

export interface SumSquaresParams { axes: number[]; keepDims: boolean }

/**
 * Σ x² over `axes`: one pass with the backend's sumSquares kernel where the reduced axes form one
 * block, else square then sum — the same values, bit for bit (the kernel rounds each square to
 * the dtype and sums in float64 in the same order, as those do).
 */
export const sumSquaresPrimitive = definePrimitive<SumSquaresParams>('sumSquares', ([x], { axes, keepDims }) => {
  const lo = axes[0]!, hi = axes[axes.length - 1]!;
  if (hi - lo + 1 !== axes.length || !kernels(x!.backend).native('sumSquares', [x!.dtype, x!.dtype])) {
    return sum(square(x!), axes, keepDims);
  }
  const out = empty(reducedShape(x!.shape, axes, keepDims), x!.dtype, x!.backend);
  const outer = sizeOf(x!.shape.slice(0, lo)), r = sizeOf(x!.shape.slice(lo, hi + 1));
  x!.backend.sumSquares!(x!.buffer, outer, r, x!.size / (outer * r || 1), out.buffer);
  return out;
});

/** Σ x² over `axis` (default: all axes) — sum(square(x)), in one pass where the backend has the kernel. */
export function sumSquares(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  requireFloat('sumSquares', x);
  const axes = normAxes(x, axis, 'sumSquares');
  if (axes.length === 0) return square(x);
  return bind(sumSquaresPrimitive, [x], { axes, keepDims });
}

export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const axes = normAxes(x, axis, 'mean');
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  return div(sum(x, axes, keepDims), n);
}

/**
 * log Σ exp(x) along `axis`, stabilised by the maximum m. Because lse(x) = m + log Σ exp(x − m)
 * holds for ANY constant m, treating m as a constant (stopGradient) gives exact derivatives of
 * every order.
 */
export function logSumExp(x: Tensor, axis: number | readonly number[] = -1, keepDims = false): Tensor {
  const m = stopGradient(max(x, axis, true));
  const lse = add(log(sum(exp(sub(x, m)), axis, true)), m);
  return keepDims ? lse : reshape(lse, reducedShape(x.shape, normAxes(x, axis, 'logSumExp'), false));
}

/** 1 at the maxima along the axes (ties share 1/count), 0 elsewhere — the derivative of max. */
export function maxMask(x: Tensor, out: Tensor, axes: readonly number[]): Tensor {
  const keep = reshape(out, reducedShape(x.shape, axes, true));
  const mask = equal(x, broadcastTo(keep, x.shape));
  return div(mask, sum(mask, axes, true));
}

