import { DivergenceError } from '../errors.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { shifted } from '../operators/family.js';
import { extremeEigenvalues } from '../estimators/spectral.js';

/** The factor by which the suggested scale exceeds the λ_max estimate (Lanczos Ritz values underestimate λ_max). */
export const SCALE_SAFETY = 1.1;

/**
 * The DivergenceError of a Neumann/LiSSA series x ← b + (I − A/σ)·x, which converges iff every
 * eigenvalue of A lies in (0, 2σ). Estimates A's extreme eigenvalues with a few Lanczos steps
 * and says which condition failed: λ_min ≤ 0 (no scale helps: add damping; suggestedScale is
 * undefined) or σ too small (suggestedScale = 1.1·λ_max estimate). When σ already exceeds that
 * (a stochastic series blown up by minibatch noise) it suggests max(2σ, 1.1·λ_max) and a larger
 * batch: a smaller step damps the noise too (003_60d87249c94aba45.txt, Lemma 2 and Theorem 1).
 */
export function divergenceError(method: string, op: LinearOperator, damping: number, scale: number, where: string, seed = 0): DivergenceError {
  let ext: { min: number; max: number } | null = null;
  try {
    ext = extremeEigenvalues(shifted(op, damping), { steps: 20, seed });
  } catch {
    ext = null;
  }
  if (!ext || !Number.isFinite(ext.max)) {
    return new DivergenceError(`${method}: the series diverged (${where}) with scale ${scale}, and the operator's largest eigenvalue could not be estimated (NaN/Inf products)`);
  }
  const { min, max } = ext;
  if (min < -1e-10 * Math.abs(max)) {
    return new DivergenceError(
      `${method}: the series diverged (${where}): the operator has a negative eigenvalue (≈ ${min.toPrecision(4)}), so no scale makes (I − A/σ)ᵏ contract; add damping ≥ ${(-min).toPrecision(3)} or use a solver for indefinite systems (direct, arnoldi)`);
  }
  const needed = SCALE_SAFETY * max;
  if (scale < needed) {
    return new DivergenceError(
      `${method}: the series diverged (${where}) with scale ${scale}: it needs scale > λ_max/2 to converge and about λ_max ≈ ${max.toPrecision(4)} (the largest eigenvalue of the damped operator) to converge well; use scale ≥ ${needed.toPrecision(4)}`,
      needed);
  }
  const suggested = Math.max(2 * scale, needed);
  return new DivergenceError(
    `${method}: the series diverged (${where}) although scale ${scale} ≥ λ_max ≈ ${max.toPrecision(4)}: minibatch noise — use a larger batchSize (recommendLissa gives C·Tr(H)/λ_max) or a larger scale (≈ ${suggested.toPrecision(4)})`,
    suggested);
}
