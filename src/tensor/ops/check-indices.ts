import { DTypeError, InputError, ShapeError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import { fmt } from '../util.js';

/**
 * dtype and rank of an index tensor, without reading its values: gather and scatterAdd leave the
 * range check to the backend's kernel (Backend.gather), so a device backend needs no
 * device-to-host copy per call. With no rows at all every index is out of range.
 */
export function checkIndexTensor(op: string, indices: Tensor, limit: number): void {
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank !== 1) throw new ShapeError(`${op}: indices must be 1-D, got ${fmt(indices.shape)}`);
  if (limit === 0 && indices.size > 0) throw new InputError(`${op}: ${indices.size} indices into 0 rows (every index is outside [0, 0))`);
}

/**
 * int32, rank 1, every value in [0, limit) — else a typed error naming the first bad one. Reads
 * the indices to the host: only for ops with no kernel that checks them (oneHot).
 */
export function checkIndices(op: string, indices: Tensor, limit: number): void {
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank !== 1) throw new ShapeError(`${op}: indices must be 1-D, got ${fmt(indices.shape)}`);
  const idx = indices.dataSync();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= limit) throw new InputError(`${op}: index ${idx[i]} at position ${i} is outside [0, ${limit})`);
  }
}
