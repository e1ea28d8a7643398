import { InputError } from '../errors.js';
import { applyToColumns, type LinearOperator } from '../operators/linear-operator.js';
import { mul, sum, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import { checkOperator } from './hutchinson.js';
import { checkDistribution, checkInteger, meanAndStandardError, probeBlock, type ProbeDistribution } from './random-vectors.js';

export interface FrobeniusOptions {
  /** Probes m (operator products), ≥ 2. */
  samples: number;
  seed?: number;
  /** 'gaussian' (default, as in 003 appendix D) or 'rademacher'; both give E‖Az‖² = ‖A‖_F². */
  distribution?: ProbeDistribution;
  blockSize?: number;
}

export interface FrobeniusEstimate {
  /** √(mean ‖Azᵢ‖²), the estimate of ‖A‖_F. */
  estimate: number;
  /** Its standard error by the delta method: SE(‖A‖_F²)/(2‖A‖_F). */
  standardError: number;
  /** The unbiased estimate of ‖A‖_F² = tr(AᵀA) and its standard error (s/√m). */
  squared: { estimate: number; standardError: number };
  samples: number;
}

/**
 * ‖A‖_F from E‖Az‖² = tr(AᵀA·E[zzᵀ]) = ‖A‖_F² for isotropic probes (Hutchinson's estimator applied
 * to AᵀA; 003 appendix D evaluates (1/N)·tr(H²) the same way for its Table 3). For an operator
 * whose products are themselves stochastic (an in-batch H̃), 003 takes the inner product of two
 * independent products (H̃z)ᵀ(Ĥz) to stay unbiased; for a deterministic operator ‖Az‖² is the same
 * thing with less variance.
 */
export function frobeniusNorm(op: LinearOperator, options: FrobeniusOptions): FrobeniusEstimate {
  const what = 'frobeniusNorm';
  const m = checkInteger(what, 'samples', options.samples, 2);
  checkOperator(what, op);
  const dist = checkDistribution(what, options.distribution ?? 'gaussian');
  const bs = checkInteger(what, 'blockSize', options.blockSize ?? 16, 1);
  const rng = new Random(options.seed ?? 0);
  const sq = new Float64Array(m);
  for (let start = 0; start < m; start += bs) {
    const b = Math.min(bs, m - start);
    tidy(() => {
      const { block } = probeBlock(rng, dist, op.size, b, op.dtype);
      const az = applyToColumns(op, block);
      const v = sum(mul(az, az), 0).dataSync();
      for (let j = 0; j < b; j++) {
        if (!Number.isFinite(v[j]!)) throw new InputError(`${what}: ‖Az‖² of probe ${start + j} is ${v[j]}; check the operator for NaN/Inf`);
        sq[start + j] = v[j]!;
      }
    });
  }
  const { mean, standardError } = meanAndStandardError(sq);
  const estimate = Math.sqrt(mean);
  return {
    estimate,
    standardError: estimate > 0 ? standardError / (2 * estimate) : 0,
    squared: { estimate: mean, standardError },
    samples: m,
  };
}
