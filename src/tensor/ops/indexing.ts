import { ShapeError } from '../../errors.js';
import { checkIndexTensor, checkIndices } from './check-indices.js';
import { kernels } from '../kernels.js';
import { arange } from '../creation.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { backendOf } from '../util.js';
import { cast, equal } from './elementwise.js';
import { reshape } from './shape.js';

export const gatherPrimitive = definePrimitive<null>('gather', ([x, idx]) => {
  const rowSize = x!.size / (x!.shape[0] || 1);
  const out = empty([idx!.size, ...x!.shape.slice(1)], x!.dtype, x!.backend);
  kernels(backendOf('gather', [x!, idx!])).gather(x!.buffer, idx!.buffer, idx!.size, rowSize, out.buffer);
  return out;
});

/**
 * Rows of x (along axis 0) picked by int32 indices. The backend's kernel checks the index values
 * (InputError naming the first outside [0, rows)); they are never read to the host here.
 */
export function gather(x: Tensor, indices: Tensor): Tensor {
  if (x.rank === 0) throw new ShapeError('gather: needs a tensor of rank ≥ 1');
  checkIndexTensor('gather', indices, x.shape[0]!);
  return bind(gatherPrimitive, [x, indices], null);
}

export const scatterAddPrimitive = definePrimitive<{ rows: number }>('scatterAdd', ([src, idx], { rows }) => {
  const rowSize = src!.size / (src!.shape[0] || 1);
  const out = empty([rows, ...src!.shape.slice(1)], src!.dtype, src!.backend);
  const backend = backendOf('scatterAdd', [src!, idx!]);
  kernels(backend).fill(out.buffer, 0);
  kernels(backend).scatterAdd(src!.buffer, idx!.buffer, idx!.size, rowSize, out.buffer);
  return out;
});

/** A tensor of `rows` rows with src[i] added into row indices[i] (the adjoint of gather). */
export function scatterAdd(src: Tensor, indices: Tensor, rows: number): Tensor {
  checkIndexTensor('scatterAdd', indices, rows);
  if (indices.size !== src.shape[0]) throw new ShapeError(`scatterAdd: ${indices.size} indices for ${src.shape[0]} rows`);
  return bind(scatterAddPrimitive, [src, indices], { rows });
}

/** One-hot rows: out[i, c] = 1 when labels[i] = c. Labels must lie in [0, depth). */
export function oneHot(labels: Tensor, depth: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  checkIndices('oneHot', labels, depth);
  const l = cast(reshape(labels, [-1, 1]), dtype);
  return equal(l, reshape(arange(depth, dtype), [1, depth]));
}
