/** Shared types and argument checks of the dense linear-algebra kernels (src/backend/js/linalg). */
import { ShapeError } from '../../../errors.js';

/**
 * Storage the kernels run on. float32 and float64 share one code path: arithmetic is done in JS
 * numbers (double precision) and results are rounded when written back to a Float32Array.
 */
export type FloatArray = Float32Array | Float64Array;

/** Which triangle of a triangular matrix is referenced. */
export type Uplo = 'lower' | 'upper';

/** Whether the triangular matrix multiplies the unknown from the left (op(A)·X) or the right (X·op(A)). */
export type Side = 'left' | 'right';

/**
 * Outcome of a Cholesky factorisation. On failure `pivot` is the 0-based index of the first pivot
 * that is ≤ 0 or not finite and `value` is that pivot before its square root, ready for
 * `new NotPositiveDefiniteError(msg, pivot, value)`.
 */
export type PotrfResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly pivot: number; readonly value: number };

/** The single success value, so a successful factorisation allocates nothing. */
export const POTRF_OK: PotrfResult = Object.freeze({ ok: true as const });

/** Throws ShapeError unless `v` is a non-negative integer (a dimension or an offset). */
export function checkDim(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new ShapeError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
  }
}

/**
 * Throws ShapeError unless buf holds a rows×cols row-major matrix with leading dimension ld
 * starting at off. Typed arrays read `undefined` (→ NaN) out of bounds and silently drop writes,
 * so a bad stride would otherwise turn into garbage rather than an error.
 */
export function checkMatrix(
  fn: string,
  name: string,
  buf: FloatArray,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  checkDim(fn, `offset of ${name}`, off);
  if (!Number.isInteger(ld) || ld < Math.max(1, cols)) {
    throw new ShapeError(`${fn}: leading dimension of ${name} must be an integer ≥ max(1, ${cols}), got ${ld}`);
  }
  if (rows > 0 && cols > 0) {
    const end = off + (rows - 1) * ld + cols;
    if (end > buf.length) {
      throw new ShapeError(
        `${fn}: ${name} (${rows}×${cols}, ld ${ld}, offset ${off}) needs ${end} elements, buffer has ${buf.length}`,
      );
    }
  }
}
