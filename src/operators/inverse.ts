import type { Tensor } from '../tensor/tensor.js';
import { checkVector, type LinearOperator } from './linear-operator.js';

/**
 * What an inverse operator needs from a fitted solver: solve(b) for b [n] or [n, k] → { x } of
 * the same shape, and dispose(). (src/solvers' FittedSolver is one; declared here so that the
 * operators layer does not import the solvers.)
 */
export interface SolveFunction {
  solve(b: Tensor): { x: Tensor };
  dispose(): void;
}

/** A LinearOperator that owns resources (an inverse: the fitted solver's factors). */
export interface DisposableOperator extends LinearOperator {
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * The operator x ↦ solver.solve(x).x — "(A + λI)⁻¹" as just another operator, composable with
 * sum, scale, chain and block-diagonal. matvec solves one right-hand side, matmat all columns in one
 * call (block-cg, the low-rank and the structured solvers solve them together). `of` is the
 * operator that was inverted: the inverse has its size, dtype and symmetry, and is psd when it is.
 * dispose() frees the solver. src/solvers' inverseOf(op, name, options) builds one by name.
 */
export function inverseOperator(of: LinearOperator, solver: SolveFunction): DisposableOperator {
  const op: DisposableOperator = {
    size: of.size, dtype: of.dtype, symmetric: of.symmetric, psd: of.psd === true ? true : 'unknown',
    matvec: (v) => { checkVector(op, v); return solver.solve(v).x; },
    matmat: (v) => { checkVector(op, v, 'matmat'); return solver.solve(v).x; },
    dispose: () => solver.dispose(),
    [Symbol.dispose]: () => solver.dispose(),
  };
  return op;
}
