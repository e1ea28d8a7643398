import type { Tensor } from '../tensor/tensor.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { checkInteger, checkNonNegative, splitShift } from './common.js';
import { lowRankSolver } from './low-rank.js';
import { nystromApproximation } from './preconditioners.js';
import type { FittedSolver, SolveResult } from './types.js';

export interface NystromOptions {
  /** r, the sketch size. Default min(10, n). */
  rank?: number;
  /** λ: approximates (A + λI)⁻¹. Default 0. */
  damping?: number;
  seed?: number;
  /** q power iterations on the sketch's test matrix (q·r extra products; see nystromApproximation). Default 0. */
  powerIterations?: number;
  /** Report ‖b − (A + λI)·x‖ (one product per column). Default false (NaN). */
  computeResidual?: boolean;
}

/**
 * Nyström sketch-and-solve (000_c68d44e0a80b1161.txt; Hataya & Yamada 2023, "Nyström method for
 * accurate and scalable implicit differentiation", AISTATS; Frangella, Tropp & Udell 2023): a
 * rank-r randomized Nyström approximation A ≈ U·Λ̂·Uᵀ (nystromApproximation, FTU Alg. 2.1) and the
 * Woodbury identity
 *
 *   (U·Λ̂·Uᵀ + λI)⁻¹·b = U·(Λ̂ + λI)⁻¹·Uᵀ·b + (1/λ)·(b − U·Uᵀ·b).
 *
 * (000_…'s display omits the inverse on (Λ + λI); the identity needs it.) With λ = 0 the complement
 * term is dropped and x = U·Λ̂⁺·Uᵀ·b. A ShiftedOperator is sketched through its `base`, with
 * λ = shift + damping. Needs a positive semi-definite operator (else NotPositiveDefiniteError
 * from the sketch); rank > n: ShapeError.
 */
export function fitNystrom(op: LinearOperator, options: NystromOptions = {}): FittedSolver {
  const damping = options.damping ?? 0;
  checkNonNegative('nystrom', 'damping', damping);
  const rank = options.rank ?? Math.min(10, op.size);
  checkInteger('nystrom', 'rank', rank);
  const { base, shift } = splitShift(op);
  const approx = nystromApproximation(base, rank, options.seed ?? 0, options.powerIterations ?? 0);
  try {
    return lowRankSolver(op, { method: 'nystrom', V: approx.U, d: approx.lambdas, lambda: shift + damping }, damping, options.computeResidual ?? false, {
      eigenvalues: Array.from(approx.lambdas), sketchShift: approx.shift, shift,
    });
  } catch (err) {
    approx.U.dispose();
    throw err;
  }
}

/** One-shot Nyström sketch-and-solve. */
export function nystrom(op: LinearOperator, b: Tensor, options: NystromOptions = {}): SolveResult {
  const s = fitNystrom(op, options);
  try { return s.solve(b); } finally { s.dispose(); }
}
