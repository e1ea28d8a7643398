import type { Backend, DType } from '../../backend/types.js';
import { DTypeError, InputError, ShapeError } from '../../errors.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, view, type Tensor } from '../tensor.js';
import { backendOf, broadcastShapes, broadcastStrides, contiguousStrides, fmt, normalizeAxis, sameDType, sizeOf } from '../util.js';
import { kernels } from '../kernels.js';
import { tidy } from '../tidy.js';

export const reshapePrimitive = definePrimitive<{ shape: number[] }>('reshape', ([x], { shape }) => view(x!, shape));

/** A new shape over the same values; one dimension may be -1 (inferred). Never copies. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const known = out.reduce((a, d, i) => (i === free ? a : a * d), 1);
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`reshape: cannot infer -1 in ${fmt(shape)} from ${x.size} elements`);
    out[free] = x.size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== x.size) {
    throw new ShapeError(`reshape: shape ${fmt(shape)} does not hold ${x.size} elements of ${fmt(x.shape)}`);
  }
  if (out.length === x.shape.length && out.every((d, i) => d === x.shape[i])) return x;
  return bind(reshapePrimitive, [x], { shape: out });
}

export const transposePrimitive = definePrimitive<{ perm: number[] }>('transpose', ([x], { perm }) => {
  const shape = perm.map((p) => x!.shape[p]!);
  const src = contiguousStrides(x!.shape);
  const out = empty(shape, x!.dtype, x!.backend);
  kernels(x!.backend).copy(shape, x!.buffer, 0, perm.map((p) => src[p]!), out.buffer, 0, contiguousStrides(shape));
  return out;
});

/** Permutes axes (default: reverses them). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? [...perm] : x.shape.map((_, i) => x.shape.length - 1 - i);
  if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new ShapeError(`transpose: ${fmt(p)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  if (p.every((v, i) => v === i)) return x;
  return bind(transposePrimitive, [x], { perm: p });
}

export const broadcastToPrimitive = definePrimitive<{ shape: number[] }>('broadcastTo', ([x], { shape }) => {
  const out = empty(shape, x!.dtype, x!.backend);
  kernels(x!.backend).copy(shape, x!.buffer, 0, broadcastStrides(x!.shape, shape), out.buffer, 0, contiguousStrides(shape));
  return out;
});

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const s = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`broadcastTo: ${fmt(x.shape)} cannot broadcast to ${fmt(shape)}`);
  }
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  return bind(broadcastToPrimitive, [x], { shape: [...shape] });
}

/** Params of slice: the block at `begin` of extent `size`, its axes then permuted by `perm` when given. */
export interface SliceParams { begin: number[]; size: number[]; perm?: number[] }

export const slicePrimitive = definePrimitive<SliceParams>('slice', ([x], { begin, size, perm }) => {
  const strides = contiguousStrides(x!.shape);
  const off = begin.reduce((a, b, i) => a + b * strides[i]!, 0);
  const shape = perm ? perm.map((p) => size[p]!) : size;
  const out = empty(shape, x!.dtype, x!.backend);
  kernels(x!.backend).copy(shape, x!.buffer, off, perm ? perm.map((p) => strides[p]!) : strides, out.buffer, 0, contiguousStrides(shape));
  return out;
});

/** The inverse of a permutation. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** x of a permuted result (a slice or concat with `perm`) back in the unpermuted layout. */
export function unpermuted(x: Tensor, perm: readonly number[] | undefined): Tensor {
  return perm ? transpose(x, inversePermutation(perm)) : x;
}

function checkPermutation(fn: string, perm: readonly number[], rank: number): void {
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new ShapeError(`${fn}: ${fmt(perm)} is not a permutation of ${rank} axes`);
  }
}

/** The extent of a slice (size -1: to the end), checked against x's shape. */
function sliceExtent(fn: string, x: Tensor, begin: readonly number[], size?: readonly number[]): number[] {
  if (begin.length !== x.rank) throw new ShapeError(`${fn}: begin ${fmt(begin)} must have one entry per axis of ${fmt(x.shape)}`);
  const sz = begin.map((b, i) => {
    const s = size?.[i] ?? -1;
    return s === -1 ? x.shape[i]! - b : s;
  });
  begin.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || !Number.isInteger(sz[i]) || sz[i]! < 0 || b + sz[i]! > x.shape[i]!) {
      throw new ShapeError(`${fn}: begin ${fmt(begin)} size ${fmt(sz)} is out of bounds for ${fmt(x.shape)}`);
    }
  });
  return sz;
}

/** The block starting at `begin` with extent `size` (-1: to the end). */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  const sz = sliceExtent('slice', x, begin, size);
  if (sz.every((s, i) => s === x.shape[i])) return x;
  return bind(slicePrimitive, [x], { begin: [...begin], size: sz });
}

/**
 * transpose(slice(x, begin, size), perm) in one copy: the block read straight into its permuted
 * layout (batching.ts: a tangent's trailing axis of k directions moved to the front as the block
 * is cut from it).
 */
export function permutedSlice(x: Tensor, begin: readonly number[], size: readonly number[], perm: readonly number[]): Tensor {
  const sz = sliceExtent('permutedSlice', x, begin, size);
  checkPermutation('permutedSlice', perm, x.rank);
  if (perm.every((p, i) => p === i)) return slice(x, begin, sz);
  if (sz.every((s, i) => s === x.shape[i])) return transpose(x, perm);
  return bind(slicePrimitive, [x], { begin: [...begin], size: sz, perm: [...perm] });
}

export const padPrimitive = definePrimitive<{ before: number[]; after: number[] }>('pad', ([x], { before, after }) => {
  const shape = x!.shape.map((d, i) => d + before[i]! + after[i]!);
  const out = empty(shape, x!.dtype, x!.backend);
  const strides = contiguousStrides(shape);
  kernels(x!.backend).fill(out.buffer, 0);
  kernels(x!.backend).copy(x!.shape, x!.buffer, 0, contiguousStrides(x!.shape), out.buffer, before.reduce((a, b, i) => a + b * strides[i]!, 0), strides);
  return out;
});

/** Zero padding: `before[i]` zeros ahead of axis i and `after[i]` behind it. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (before.length !== x.rank || after.length !== x.rank || [...before, ...after].some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ShapeError(`pad: needs non-negative before/after per axis of ${fmt(x.shape)}, got ${fmt(before)} / ${fmt(after)}`);
  }
  return bind(padPrimitive, [x], { before: [...before], after: [...after] });
}

/** Params of concat: joined along `axis`, the result's axes then permuted by `perm` when given. */
export interface ConcatParams { axis: number; perm?: number[] }

export const concatPrimitive = definePrimitive<ConcatParams>('concat', (xs, { axis, perm }) => {
  const joined = [...xs[0]!.shape];
  joined[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const backend = backendOf('concat', xs);
  const shape = perm ? perm.map((p) => joined[p]!) : joined;
  const out = empty(shape, xs[0]!.dtype, backend);
  // Each input is written where it lands in the joined layout, its axes visited in the result's
  // order (so the copy's inner axis is the contiguous one of the destination: a transposing copy
  // on every backend, not a strided write per element).
  const order = perm ?? joined.map((_, i) => i);
  const permuted = contiguousStrides(shape), strides = new Array<number>(joined.length);
  order.forEach((p, i) => (strides[p] = permuted[i]!));
  let at = 0;
  for (const x of xs) {
    const src = contiguousStrides(x.shape);
    kernels(backend).copy(order.map((p) => x.shape[p]!), x.buffer, 0, order.map((p) => src[p]!), out.buffer, at * strides[axis]!, permuted);
    at += x.shape[axis]!;
  }
  return out;
});

/** Joins tensors along an existing axis; all other extents must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const ax = concatShapeCheck(xs, axis, 'concat');
  if (xs.length === 1) return xs[0]!;
  return bind(concatPrimitive, [...xs], { axis: ax });
}

/** The axis of a concat (from the end when negative), the inputs' dtypes and other extents checked. */
function concatShapeCheck(xs: readonly Tensor[], axis: number, fn: string): number {
  const first = xs[0]!;
  const ax = normalizeAxis(axis, first.rank, fn);
  sameDType(fn, ...xs);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`${fn}: ${fmt(x.shape)} does not match ${fmt(first.shape)} outside axis ${ax}`);
    }
  }
  return ax;
}

/**
 * transpose(concat(xs, axis), perm) in one copy per input, each written straight into its
 * permuted place (batching.ts: a parameter vector's tangent assembled as columns [n, k]).
 */
export function permutedConcat(xs: readonly Tensor[], axis: number, perm: readonly number[]): Tensor {
  if (xs.length === 0) throw new ShapeError('permutedConcat: needs at least one tensor');
  checkPermutation('permutedConcat', perm, xs[0]!.rank);
  const joined = concatShapeCheck(xs, axis, 'permutedConcat');
  if (perm.every((p, i) => p === i)) return concat(xs, joined);
  if (xs.length === 1) return transpose(xs[0]!, perm);
  return bind(concatPrimitive, [...xs], { axis: joined, perm: [...perm] });
}

/**
 * A [rows, Σ widths] matrix assembled from column blocks made one at a time: block(i) returns
 * columns [Σ_{j<i} widths[j], …) as a [rows, widths[i]] tensor, which is copied in and freed with
 * everything block(i) allocated (a tidy scope per block) before block(i + 1) runs. concat would
 * keep every block alive beside the result — for `toDense` of a 12,730-parameter Hessian, 1.3 GB
 * of blocks plus 1.3 GB of result, each page faulted in fresh — while here each block reuses the
 * memory of the one before. Not differentiable: the blocks must be concrete values (not tracers).
 */
export function assembleColumns(rows: number, widths: readonly number[], dtype: DType, block: (i: number) => Tensor, backend?: Backend): Tensor {
  if (!Number.isSafeInteger(rows) || rows < 0 || widths.some((w) => !Number.isSafeInteger(w) || w < 0)) {
    throw new ShapeError(`assembleColumns: rows and widths must be integers ≥ 0, got ${rows} and ${fmt(widths)}`);
  }
  const total = widths.reduce((a, w) => a + w, 0);
  const out = empty([rows, total], dtype, backend);
  try {
    let at = 0;
    widths.forEach((w, i) => {
      tidy(() => {
        const piece = block(i);
        if (piece.rank !== 2 || piece.shape[0] !== rows || piece.shape[1] !== w) {
          throw new ShapeError(`assembleColumns: block ${i} is ${fmt(piece.shape)}, expected [${rows}, ${w}]`);
        }
        if (piece.dtype !== dtype) throw new DTypeError(`assembleColumns: block ${i} is ${piece.dtype}, expected ${dtype}`);
        if (piece._level !== 0) throw new InputError('assembleColumns: blocks must be concrete tensors, not tracers');
        if (piece.backend !== out.backend) throw new DTypeError(`assembleColumns: block ${i} lives on ${piece.backend.name}, the result on ${out.backend.name}`);
        kernels(out.backend).copy([rows, w], piece.buffer, 0, [w, 1], out.buffer, at, [total, 1]);
      });
      at += w;
    });
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}

/** Inserts a size-1 axis. */
export function expandDims(x: Tensor, axis: number): Tensor {
  const ax = normalizeAxis(axis, x.rank + 1, 'expandDims');
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

/** Removes size-1 axes (all, or those listed). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = axes ? axes.map((a) => normalizeAxis(a, x.rank, 'squeeze')) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of drop) if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmt(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)));
}

/** Collapses every axis into one. */
export function flatten(x: Tensor): Tensor {
  return reshape(x, [x.size]);
}

/** Splits a 1-D tensor into consecutive pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis = 0): Tensor[] {
  const ax = normalizeAxis(axis, x.rank, 'split');
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== x.shape[ax]) throw new ShapeError(`split: sizes sum to ${total}, axis ${ax} of ${fmt(x.shape)} has ${x.shape[ax]}`);
  let at = 0;
  return sizes.map((s) => {
    const begin = x.shape.map(() => 0);
    begin[ax] = at;
    const size = [...x.shape];
    size[ax] = s;
    at += s;
    return slice(x, begin, size);
  });
}
