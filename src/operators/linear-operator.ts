import type { FloatDType } from '../backend/types.js';
import { DTypeError, ShapeError } from '../errors.js';
import { concat, reshape, slice, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A square linear operator A: ℝⁿ → ℝⁿ known only through products (curvlinops / JAX style). A
 * solver or estimator sees nothing else. `matmat` is optional: the default applies `matvec` to
 * each column.
 */
export interface LinearOperator {
  readonly size: number;
  readonly dtype: FloatDType;
  readonly symmetric: boolean;
  matvec(v: Tensor): Tensor;
  matmat?(v: Tensor): Tensor;
  /** Closed forms, where cheap. */
  trace?(): number;
  diagonal?(): Tensor;
}

/** A·V for V of shape [n, k], through matmat when the operator has one. */
export function applyToColumns(op: LinearOperator, v: Tensor): Tensor {
  checkVector(op, v, 'matmat');
  if (op.matmat) return op.matmat(v);
  return tidy(() => {
    const k = v.shape[1]!;
    const cols: Tensor[] = [];
    for (let j = 0; j < k; j++) cols.push(reshape(op.matvec(reshape(slice(v, [0, j], [op.size, 1]), [op.size])), [op.size, 1]));
    return concat(cols, 1);
  });
}

/** Checks a vector [n] or block [n, k] against the operator. */
export function checkVector(op: LinearOperator, v: Tensor, what = 'matvec'): void {
  if (v.shape[0] !== op.size || v.rank < 1 || v.rank > 2) {
    throw new ShapeError(`${what}: operator of size ${op.size} applied to a tensor of shape [${v.shape.join(', ')}]`);
  }
  if (v.dtype !== op.dtype) throw new DTypeError(`${what}: operator is ${op.dtype}, vector is ${v.dtype}`);
}

/**
 * The dense matrix of an operator, built from products with blocks of identity columns (n
 * products in all — only for small operators, the `direct` solver and tests).
 */
export function toDense(op: LinearOperator, blockSize = 64): Tensor {
  return tidy(() => {
    const n = op.size;
    const blocks: Tensor[] = [];
    for (let start = 0; start < n; start += blockSize) {
      const k = Math.min(blockSize, n - start);
      const e = new Float64Array(n * k);
      for (let j = 0; j < k; j++) e[(start + j) * k + j] = 1;
      blocks.push(applyToColumns(op, tensor(e, [n, k], op.dtype)));
    }
    return concat(blocks, 1);
  });
}
