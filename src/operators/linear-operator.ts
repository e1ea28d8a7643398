import type { FloatDType } from '../backend/types.js';
import { DTypeError, ShapeError } from '../errors.js';
import { assembleColumns, concat, full, mulAdd, reshape, slice, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A square linear operator A: ℝⁿ → ℝⁿ known only through products (curvlinops / JAX style). A
 * solver or estimator sees nothing else. `matmat` is optional: the default applies `matvec` to
 * each column.
 *
 * Structure an operator declares about itself (solvers read it; none of them needs anything else):
 *   - `symmetric`: A = Aᵀ.
 *   - `psd`: positive semi-definite — true, false, or 'unknown' (the default when absent).
 *   - `shift` and `base` (a ShiftedOperator): A = base + shift·I, the shift it already contains.
 *     See DAMPING below for what the curvature operators put there.
 *
 * DAMPING — the one damping semantics of the library:
 *   1. A curvature operator (hessianOperator, gaussNewtonOperator, empiricalFisherOperator,
 *      minibatchHessianOperator, gaussNewtonFiniteDifferenceOperator) of an objective with weight
 *      decay λ_wd, built with `damping: λ_op`, is  A = C + (λ_wd + λ_op)·I  where C is the data
 *      part (mean loss curvature). It declares `shift = λ_wd + λ_op` and `base = C`.
 *   2. A solver's `damping: λ` option adds λ on top: every solver solves (A + λ·I)·x = b, i.e.
 *      (C + (λ_wd + λ_op + λ)·I)·x = b. Solvers that treat the identity part specially (arnoldi,
 *      nystrom: exact in the complement of the sketch; LiSSA's tuning: the curvature floor; Jacobi:
 *      the diagonal) use shift + λ and apply their approximation to `base` only.
 *   3. An operator that declares no shift is treated as shift 0, base = itself.
 * So the same damping gives the same answer whether it sits in the operator or in the solver
 * (up to each approximation's treatment of the identity, which is exact for shift and λ alike).
 */
export interface LinearOperator {
  readonly size: number;
  readonly dtype: FloatDType;
  readonly symmetric: boolean;
  /** Positive semi-definite: true, false or 'unknown' (absent means 'unknown'). */
  readonly psd?: boolean | 'unknown';
  matvec(v: Tensor): Tensor;
  matmat?(v: Tensor): Tensor;
  /** Closed forms, where cheap. */
  trace?(): number;
  diagonal?(): Tensor;
}

/**
 * A·V + shift·V from A·V: one fused pass (mulAdd) over the block, the same values as add(av,
 * mul(v, shift)) bit for bit; av itself when the shift is 0.
 */
export function plusShift(av: Tensor, v: Tensor, shift: number): Tensor {
  if (shift === 0) return av;
  const backend = av.concrete().storage.backend;
  return mulAdd(av, full([], 1, av.dtype, backend), v, full([], shift, av.dtype, backend));
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
  const n = op.size;
  const widths = Array.from({ length: Math.ceil(n / blockSize) }, (_, b) => Math.min(blockSize, n - b * blockSize));
  // Each block is copied into the result and freed (with a batched product's intermediates, the
  // tangents of every activation) before the next: one n×n allocation, not the blocks and a concat.
  return assembleColumns(n, widths, op.dtype, (b) => {
    const start = b * blockSize, k = widths[b]!;
    const e = new Float64Array(n * k);
    for (let j = 0; j < k; j++) e[(start + j) * k + j] = 1;
    return applyToColumns(op, tensor(e, [n, k], op.dtype));
  });
}

/**
 * An operator of the form `base + shift·I` that says so (see DAMPING above): the curvature
 * operators are (shift = λ_wd + λ_op). Low-rank solvers (Arnoldi, Nyström) sketch `base` and treat
 * `shift` as damping, which keeps the shift exact in the complement of the sketch; LiSSA's
 * hyperparameter recommendation reads `shift` as the known curvature floor.
 */
export interface ShiftedOperator extends LinearOperator {
  readonly shift: number;
  readonly base: LinearOperator;
}

export function isShiftedOperator(op: LinearOperator): op is ShiftedOperator {
  const s = op as Partial<ShiftedOperator>;
  return typeof s.shift === 'number' && Number.isFinite(s.shift) && s.base !== undefined && typeof s.base.matvec === 'function';
}

/** `op` as base + shift·I: the declared split when the operator has one, else (op, 0). */
export function splitShift(op: LinearOperator): { base: LinearOperator; shift: number } {
  return isShiftedOperator(op) ? { base: op.base, shift: op.shift } : { base: op, shift: 0 };
}

/** The declared positive semi-definiteness of an operator ('unknown' when it declares none). */
export function psdOf(op: LinearOperator): boolean | 'unknown' {
  return op.psd ?? 'unknown';
}
