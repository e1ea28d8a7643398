import { hutchinsonDiagonal, hutchinsonTrace } from './hutchinson.js';
import { InputError } from '../errors.js';
import { lanczos } from '../linalg/lanczos.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The spectral facts the solvers and LiSSA's tuning need, as thin adapters over src/linalg/lanczos.ts and
 * src/estimators/: closed forms first (an operator's own trace() and diagonal()), estimates
 * otherwise, with defaults chosen for solver use.
 */

/**
 * Estimates of the extreme eigenvalues λ_min and λ_max from at most `steps` Lanczos steps (the
 * extreme Ritz values lie inside [λ_min, λ_max] and converge fastest of all; Golub & Van Loan
 * §10.1.5). Cheap numbers for scaling Neumann/LiSSA series and for the scale a DivergenceError
 * suggests.
 */
export function extremeEigenvalues(op: LinearOperator, options: { steps?: number; seed?: number } = {}): { min: number; max: number; steps: number } {
  const n = op.size;
  const steps = Math.max(2, Math.min(n, options.steps ?? 30));
  if (n === 1) {
    const v = lanczos(op, 1, { seed: options.seed ?? 0 });
    v.vectors.dispose();
    return { min: v.values[0]!, max: v.values[0]!, steps: v.iterations };
  }
  const r = lanczos(op, 2, { which: 'both-ends', maxBasis: Math.min(n, Math.max(steps, 3)), maxIter: steps, seed: options.seed ?? 0 });
  r.vectors.dispose();
  return { min: r.values[r.values.length - 1]!, max: r.values[0]!, steps: r.iterations };
}

/**
 * Tr(A): exact from `op.trace()` when the operator has it (standard error 0), else Hutchinson's
 * estimator over `probes` Rademacher probes with the standard error of the mean (the statistic
 * 003_60d87249c94aba45.txt reports for Tr(H)).
 */
export function traceEstimate(op: LinearOperator, options: { probes?: number; seed?: number } = {}): { trace: number; standardError: number; probes: number } {
  if (op.trace) {
    const t = op.trace();
    if (!Number.isFinite(t)) throw new InputError(`trace: the operator's trace is ${t}`);
    return { trace: t, standardError: 0, probes: 0 };
  }
  const r = hutchinsonTrace(op, { samples: options.probes ?? 30, seed: options.seed ?? 0 });
  return { trace: r.estimate, standardError: r.standardError, probes: r.samples };
}

/**
 * diag(A): exact from `op.diagonal()` when the operator has it, else the estimator of Bekas,
 * Kokiopoulou & Saad 2007 over `probes` Rademacher probes (exact for a diagonal A).
 */
export function diagonalEstimate(op: LinearOperator, options: { probes?: number; seed?: number } = {}): { diagonal: Tensor; exact: boolean; probes: number } {
  if (op.diagonal) return { diagonal: op.diagonal(), exact: true, probes: 0 };
  const r = hutchinsonDiagonal(op, { samples: options.probes ?? 100, seed: options.seed ?? 0 });
  r.standardError?.dispose();
  return { diagonal: r.diagonal, exact: false, probes: r.samples };
}
