import { DTypeError, InputError, ShapeError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import { fmt } from '../util.js';

/** int32, rank 1, every value in [0, limit) — else a typed error naming the first bad one. */
export function checkIndices(op: string, indices: Tensor, limit: number): void {
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank !== 1) throw new ShapeError(`${op}: indices must be 1-D, got ${fmt(indices.shape)}`);
  const idx = indices.dataSync();
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! < 0 || idx[i]! >= limit) throw new InputError(`${op}: index ${idx[i]} at position ${i} is outside [0, ${limit})`);
  }
}
