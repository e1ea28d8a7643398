import { DTypeError, InputError } from '../errors.js';
import { applyToColumns, type LinearOperator } from '../operators/linear-operator.js';
import { mul, sum, tensor, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkDistribution, checkInteger, meanAndStandardError, probeBlock, type ProbeDistribution,
} from './random-vectors.js';

export interface HutchinsonOptions {
  /** Number of probe vectors m (operator products). ≥ 2, so that a standard error exists. */
  samples: number;
  /** Seed of the probes. Default 0. */
  seed?: number;
  /** Probe distribution: 'rademacher' (±1, default; least variance) or 'gaussian' (N(0, I), as in 003 §3). */
  distribution?: ProbeDistribution;
  /** Probes applied per operator call (through `matmat` where the operator has one). Does not change the result. Default 16. */
  blockSize?: number;
}

export interface TraceEstimate {
  /** (1/m)·Σᵢ zᵢᵀ A zᵢ. */
  estimate: number;
  /** The standard error of the mean: the sample standard deviation of the zᵢᵀ A zᵢ divided by √m. */
  standardError: number;
  /** m, the number of probes (= operator products). */
  samples: number;
}

/**
 * Hutchinson's trace estimator (Hutchinson 1990; Girard 1989): tr(A) = E[zᵀAz] for any z with
 * E[zzᵀ] = I. The quadratic forms of independent probes are i.i.d., so their sample mean comes
 * with a standard error s/√m — what 003 (§3, "Empirical analysis of eigenvalue statistics", and
 * appendix D) reports for tr(H) from 1600 Gaussian probes. Variance of one probe: 2‖A‖_F² for
 * Gaussian z, 2(‖A‖_F² − Σᵢ aᵢᵢ²) for Rademacher z (never larger).
 */
export function hutchinsonTrace(op: LinearOperator, options: HutchinsonOptions): TraceEstimate {
  const m = checkInteger('hutchinsonTrace', 'samples', options.samples, 2);
  const q = quadraticForms('hutchinsonTrace', op, m, options);
  const { mean, standardError } = meanAndStandardError(q);
  return { estimate: mean, standardError, samples: m };
}

/** zᵢᵀ A zᵢ for m probes of one seeded stream. */
export function quadraticForms(what: string, op: LinearOperator, m: number,
  options: { seed?: number; distribution?: ProbeDistribution; blockSize?: number }): Float64Array {
  checkOperator(what, op);
  const dist = checkDistribution(what, options.distribution ?? 'rademacher');
  const bs = checkInteger(what, 'blockSize', options.blockSize ?? 16, 1);
  const rng = new Random(options.seed ?? 0);
  const n = op.size;
  const out = new Float64Array(m);
  for (let start = 0; start < m; start += bs) {
    const b = Math.min(bs, m - start);
    tidy(() => {
      const { block } = probeBlock(rng, dist, n, b, op.dtype);
      const az = applyToColumns(op, block);
      const qf = sum(mul(block, az), 0).dataSync();
      for (let j = 0; j < b; j++) {
        if (!Number.isFinite(qf[j]!)) throw new InputError(`${what}: the quadratic form of probe ${start + j} is ${qf[j]}; check the operator for NaN/Inf`);
        out[start + j] = qf[j]!;
      }
    });
  }
  return out;
}

export interface HutchinsonDiagonalOptions {
  /** Number of probes m (operator products). ≥ 1; a standard error needs m ≥ 2. */
  samples: number;
  seed?: number;
  /** 'rademacher' (default: exact for a diagonal A) or 'gaussian'. */
  distribution?: ProbeDistribution;
  blockSize?: number;
}

export interface HutchinsonDiagonalEstimate {
  /** D = Σᵢ zᵢ⊙Azᵢ ⊘ Σᵢ zᵢ⊙zᵢ, shape [n], dtype of the operator. */
  diagonal: Tensor;
  /**
   * Per-entry standard error of D (m ≥ 2), by the ratio-estimator formula
   * √(Σᵢ (Nᵢ − D·Wᵢ)² / (m(m − 1))) / mean(W) with Nᵢ = zᵢ⊙Azᵢ, Wᵢ = zᵢ⊙zᵢ — for Rademacher
   * probes (W = 1) exactly the standard error of the mean.
   */
  standardError?: Tensor;
  samples: number;
}

/**
 * The stochastic diagonal estimator of Bekas, Kokiopoulou & Saad 2007 ("An estimator for the
 * diagonal of a matrix", Appl. Numer. Math. 57, eq. (2)): D = [Σᵢ zᵢ⊙Azᵢ] ⊘ [Σᵢ zᵢ⊙zᵢ]. Entry j
 * has error Σ_{k≠j} a_jk·(z_j z_k averaged), so it converges like 1/√m, faster when A is
 * diagonally dominant; with Rademacher probes a diagonal A is recovered exactly.
 */
export function hutchinsonDiagonal(op: LinearOperator, options: HutchinsonDiagonalOptions): HutchinsonDiagonalEstimate {
  const what = 'hutchinsonDiagonal';
  const m = checkInteger(what, 'samples', options.samples, 1);
  checkOperator(what, op);
  const dist = checkDistribution(what, options.distribution ?? 'rademacher');
  const bs = checkInteger(what, 'blockSize', options.blockSize ?? 16, 1);
  const rng = new Random(options.seed ?? 0);
  const n = op.size;
  // Running sums: N = z⊙Az, W = z⊙z, and E = N − r0·W about a first-probe estimate r0 (shifted
  // sums keep the variance free of cancellation when the spread is small against the mean).
  const sN = new Float64Array(n), sW = new Float64Array(n), sEE = new Float64Array(n), sEW = new Float64Array(n), sWW = new Float64Array(n);
  let r0: Float64Array | null = null;
  for (let start = 0; start < m; start += bs) {
    const b = Math.min(bs, m - start);
    tidy(() => {
      const { host, block } = probeBlock(rng, dist, n, b, op.dtype);
      const az = applyToColumns(op, block).dataSync();
      for (let j = 0; j < b; j++) {
        if (r0 === null) {
          r0 = new Float64Array(n);
          for (let i = 0; i < n; i++) r0[i] = (host[i * b + j]! * az[i * b + j]!) / (host[i * b + j]! ** 2 || 1);
        }
        for (let i = 0; i < n; i++) {
          const z = host[i * b + j]!, nn = z * az[i * b + j]!, w = z * z, e = nn - r0[i]! * w;
          if (!Number.isFinite(nn)) throw new InputError(`${what}: the operator product of probe ${start + j} contains ${nn}`);
          sN[i]! += nn; sW[i]! += w; sEE[i]! += e * e; sEW[i]! += e * w; sWW[i]! += w * w;
        }
      }
    });
  }
  const d = new Float64Array(n), se = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = sW[i]! > 0 ? sN[i]! / sW[i]! : 0;
    if (m >= 2) {
      const delta = d[i]! - r0![i]!;
      const ss = Math.max(0, sEE[i]! - 2 * delta * sEW[i]! + delta * delta * sWW[i]!);
      se[i] = Math.sqrt(ss / (m * (m - 1))) / (sW[i]! / m || 1);
    }
  }
  return {
    diagonal: tensor(d, [n], op.dtype),
    ...(m >= 2 ? { standardError: tensor(se, [n], op.dtype) } : {}),
    samples: m,
  };
}

export function checkOperator(what: string, op: LinearOperator): void {
  if (op.dtype !== 'float32' && op.dtype !== 'float64') throw new DTypeError(`${what}: expected a float32 or float64 operator, got ${String(op.dtype)}`);
  if (!Number.isInteger(op.size) || op.size < 1) throw new InputError(`${what}: operator size must be a positive integer, got ${op.size}`);
}
