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

export const slicePrimitive = definePrimitive<{ begin: number[]; size: number[] }>('slice', ([x], { begin, size }) => {
  const strides = contiguousStrides(x!.shape);
  const off = begin.reduce((a, b, i) => a + b * strides[i]!, 0);
  const out = empty(size, x!.dtype, x!.backend);
  kernels(x!.backend).copy(size, x!.buffer, off, strides, out.buffer, 0, contiguousStrides(size));
  return out;
});

/** The block starting at `begin` with extent `size` (-1: to the end). */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length !== x.rank) throw new ShapeError(`slice: begin ${fmt(begin)} must have one entry per axis of ${fmt(x.shape)}`);
  const sz = begin.map((b, i) => {
    const s = size?.[i] ?? -1;
    return s === -1 ? x.shape[i]! - b : s;
  });
  begin.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0 || !Number.isInteger(sz[i]) || sz[i]! < 0 || b + sz[i]! > x.shape[i]!) {
      throw new ShapeError(`slice: begin ${fmt(begin)} size ${fmt(sz)} is out of bounds for ${fmt(x.shape)}`);
    }
  });
  if (sz.every((s, i) => s === x.shape[i])) return x;
  return bind(slicePrimitive, [x], { begin: [...begin], size: sz });
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

export const concatPrimitive = definePrimitive<{ axis: number }>('concat', (xs, { axis }) => {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const backend = backendOf('concat', xs);
  const out = empty(shape, xs[0]!.dtype, backend);
  const strides = contiguousStrides(shape);
  let at = 0;
  for (const x of xs) {
    kernels(backend).copy(x.shape, x.buffer, 0, contiguousStrides(x.shape), out.buffer, at * strides[axis]!, strides);
    at += x.shape[axis]!;
  }
  return out;
});

/** Joins tensors along an existing axis; all other extents must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const first = xs[0]!;
  const ax = normalizeAxis(axis, first.rank, 'concat');
  sameDType('concat', ...xs);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: ${fmt(x.shape)} does not match ${fmt(first.shape)} outside axis ${ax}`);
    }
  }
  if (xs.length === 1) return first;
  return bind(concatPrimitive, [...xs], { axis: ax });
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
