import type { FloatDType } from '../backend/types.js';
import { InputError } from '../errors.js';
import { matmul, tensor } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/** Argument checks and column helpers shared by the operators and the solvers (which re-export them). */

/** Checks an option that must be a finite number ≥ 0 (or > 0 with `positive`). */
export function checkNonNegative(method: string, name: string, value: number, positive = false): void {
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new InputError(`${method}: ${name} must be a finite number ${positive ? '> 0' : '≥ 0'}, got ${value}`);
  }
}

/** Checks an option that must be an integer ≥ min. */
export function checkInteger(method: string, name: string, value: number, minimum = 1): void {
  if (!Number.isInteger(value) || value < minimum) throw new InputError(`${method}: ${name} must be an integer ≥ ${minimum}, got ${value}`);
}

/** Column j of an [n, k] block as [n, 1]. */
export function sliceColumn(v: Tensor, j: number): Tensor {
  return matmul(v, unitColumn(v.shape[1]!, j, v.dtype as FloatDType));
}

function unitColumn(k: number, j: number, dtype: FloatDType): Tensor {
  const e = new Float64Array(k);
  e[j] = 1;
  return tensor(e, [k, 1], dtype);
}
