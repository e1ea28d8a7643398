import { InputError } from '../errors.js';
import { checkInteger, checkNonNegative } from '../operators/checks.js';
import { splitShift, type LinearOperator } from '../operators/linear-operator.js';
import { isStochasticOperator } from '../operators/stochastic.js';
import { extremeEigenvalues, traceEstimate } from './spectral.js';

/**
 * LiSSA's tuning (moved here from src/solvers/lissa.ts: it estimates spectral statistics of an
 * operator; the solver only consumes the result).
 */

export interface LissaRecommendation {
  /** σ = 1/η = λ_max(H) + λ. */
  scale: number;
  /** T = 2/(λ·η), capped at maxDepth. */
  depth: number;
  /** |B| = ⌈C·Tr(H)/λ_max(H)⌉ (raised to meet `targetError` if given), clamped to [1, N]. */
  batchSize: number;
  estimates: {
    lambdaMax: number;
    trace: number;
    traceStandardError: number;
    /** λ of Theorem 1: the operator's shift (weight decay + damping) plus the solve's damping. */
    lambda: number;
    C: number;
    depthCapped: boolean;
    /**
     * Bound on the relative RMS error that minibatch sampling leaves in one run at this batch size,
     * √(C·η·Tr(H)·(1/|B| − 1/N)) (the sampling term of 003's eq. 11 over ‖u*‖², with the
     * finite-population factor of sampling without replacement; R repeats divide it by √R). At
     * Theorem 1's batch it is ≈ √(λ_max/σ) ≈ 1: enough to converge, not to be accurate —
     * `targetError` raises |B| until the bound meets the target.
     */
    samplingError: number;
    /** Theorem 1's lower bound ⌈C·Tr(H)/λ_max⌉ before `targetError` and the clamp to N. */
    theoremBatchSize: number;
  };
}

export interface LissaRecommendOptions {
  seed?: number;
  /** The constant of condition C.1 (003_…txt); the paper's Table 1 takes C = 2. */
  C?: number;
  /** Hutchinson probes for Tr(H). Default 30. */
  probes?: number;
  /** Lanczos steps for λ_max(H). Default 30. */
  lanczosSteps?: number;
  /** Upper bound on the recommended depth. Default 10,000. */
  maxDepth?: number;
  /**
   * Target for the relative RMS error that minibatch noise leaves in the solution (e.g. 0.1). The
   * sampling term of 003's eq. (11), η²·Tr(H)/|B|·gᵀ(H+λ)⁻¹g, is at most C·η·Tr(H)/|B| times ‖u*‖²
   * (since gᵀ(H+λ)⁻¹g ≤ σ·‖(H+λ)⁻¹g‖²); with the finite-population factor (1/|B| − 1/N) of sampling
   * without replacement this gives |B| ≥ 1/(ε²/(C·η·Tr(H)) + 1/N) ≤ N. Default: none (Theorem 1 only).
   */
  targetError?: number;
}

/**
 * LiSSA's hyperparameters from two spectral statistics of the curvature, per Theorem 1 of
 * 003_60d87249c94aba45.txt ("a paper on choosing LiSSA's hyperparameters"): for
 * uₜ = g + (I − η(H̃ₜ + λ))·uₜ₋₁ choose
 *
 *   η = 1/(λ_max(H) + λ),   |B| ≥ C·Tr(H)/λ_max(H),   T = 2/(λη),
 *
 * with H the data part of the operator (`op.base` for a StochasticOperator/ShiftedOperator, which
 * is positive semi-definite for Gauss–Newton) and λ = op.shift + damping (the noise-free curvature
 * floor). λ_max(H) comes from Lanczos (`lanczosSteps` steps; Ritz values converge fastest at the
 * ends of the spectrum), Tr(H) from Hutchinson's estimator with its standard error (exact when
 * the operator has a closed-form trace). In this library's parametrization σ = 1/η is the `scale`.
 * λ = 0 is an InputError (T would be infinite).
 */
export function recommendLissa(op: LinearOperator, damping = 0, options: LissaRecommendOptions = {}): LissaRecommendation {
  checkNonNegative('recommendLissa', 'damping', damping);
  const { base, shift } = splitShift(op);
  const lambda = shift + damping;
  if (!(lambda > 0)) {
    throw new InputError('recommendLissa: needs λ = weight decay + damping > 0 (T = 2/(λη) is infinite at λ = 0); pass damping > 0');
  }
  const C = options.C ?? 2;
  checkNonNegative('recommendLissa', 'C', C, true);
  const maxDepth = options.maxDepth ?? 10_000;
  checkInteger('recommendLissa', 'maxDepth', maxDepth);
  const seed = options.seed ?? 0;
  const ext = extremeEigenvalues(base, { steps: options.lanczosSteps ?? 30, seed });
  const lambdaMax = ext.max;
  if (!Number.isFinite(lambdaMax)) throw new InputError('recommendLissa: the operator produced NaN or Inf');
  const tr = traceEstimate(base, { probes: options.probes ?? 30, seed: seed + 1 });
  const n = isStochasticOperator(op) ? op.numSamples : Infinity;
  const scale = Math.max(lambdaMax, 0) + lambda;
  const rawDepth = Math.ceil(2 * scale / lambda);
  const depth = Math.min(rawDepth, maxDepth);
  const trace = Math.max(tr.trace, 0);
  const theoremBatch = lambdaMax > 0 ? Math.ceil(C * trace / lambdaMax) : 1;
  let batch = theoremBatch;
  const target = options.targetError;
  if (target !== undefined) {
    checkNonNegative('recommendLissa', 'targetError', target, true);
    const noise = C * trace / scale;
    if (noise > 0) batch = Math.max(batch, Math.ceil(1 / (target * target / noise + 1 / n)));
  }
  const batchSize = Math.max(1, Math.min(batch, n));
  const samplingError = Math.sqrt(Math.max(0, (C * trace / scale) * (1 / batchSize - 1 / n)));
  return {
    scale, depth, batchSize,
    estimates: {
      lambdaMax, trace: tr.trace, traceStandardError: tr.standardError, lambda, C, depthCapped: depth < rawDepth,
      samplingError, theoremBatchSize: theoremBatch,
    },
  };
}

