import { InputError } from '../errors.js';
import { lanczos, type LanczosOptions } from '../linalg/lanczos.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import type { Tensor } from '../tensor/tensor.js';
import { gaussianSketchEigenvalues, type GaussianSketchOptions } from './gaussian-sketch.js';
import { subspaceIteration, type SubspaceIterationOptions } from './subspace-iteration.js';

export type EigenvalueMethod = 'lanczos' | 'sketch' | 'gaussian-sketch';

export interface TopEigenvaluesOptions
  extends Omit<LanczosOptions, 'which' | 'tol' | 'seed'>, Omit<SubspaceIterationOptions, 'tol' | 'seed' | 'blockSize'>,
  Omit<GaussianSketchOptions, 'seed' | 'blockSize'> {
  /**
   * 'lanczos' (default): thick-restart Lanczos, accurate to `tol`. 'sketch': randomized subspace
   * iteration with a seeded Gaussian block of width k + p and q power iterations (`oversampling`,
   * `powerIterations`). 'gaussian-sketch': the eigenvalues of ΦAΦᵀ (Swartworth & Woodruff 2023,
   * 003 eq. (15); `sketchSize`, `correction`) — no vectors, an additive error scale instead.
   */
  method?: EigenvalueMethod;
  seed?: number;
  /** Lanczos: residual tolerance (default √u). Sketch: early-stop tolerance (default 0: run q iterations). */
  tol?: number;
  /** Probes per operator call for the sketch methods. */
  blockSize?: number;
}

export interface TopEigenvaluesResult {
  method: EigenvalueMethod;
  /** The k largest eigenvalue estimates, descending. */
  values: Float64Array;
  /** Unit eigenvector estimates [n, k] (not for 'gaussian-sketch'). */
  vectors?: Tensor;
  /** ‖A·vᵢ − λᵢ·vᵢ‖ per pair: an eigenvalue of A lies within rᵢ of λᵢ (not for 'gaussian-sketch'). */
  residuals?: number[];
  /** 'gaussian-sketch': ‖A‖_F/√d, the scale of the additive error. */
  errorScale?: number;
  /** Operator products used. */
  matvecs: number;
  converged?: boolean;
}

/**
 * The k largest eigenvalues of a symmetric operator — λ_max(H) is what 003 needs to choose LiSSA's
 * scale and batch size (Theorem 1: η = 1/(λ_max(H) + λ), |B| ≥ C·Tr(H)/λ_max(H), with Tr(H) from
 * `hutchinsonTrace`). Three methods trade accuracy for non-adaptivity: Lanczos (adaptive, most
 * accurate per product), randomized subspace iteration (block products, a few digits), and the
 * Gaussian sketch of 003 (non-adaptive, additive ‖A‖_F/√d error).
 */
export function topEigenvalues(op: LinearOperator, k: number, options: TopEigenvaluesOptions = {}): TopEigenvaluesResult {
  const method = options.method ?? 'lanczos';
  switch (method) {
    case 'lanczos': {
      const r = lanczos(op, k, {
        which: 'largest',
        ...pick(options, ['maxBasis', 'maxIter', 'tol', 'seed', 'v0', 'reorthogonalize']),
      });
      return { method, values: r.values, vectors: r.vectors, residuals: r.residuals, matvecs: r.matvecs, converged: r.converged };
    }
    case 'sketch': {
      const r = subspaceIteration(op, k, pick(options, ['oversampling', 'powerIterations', 'tol', 'seed', 'blockSize']));
      return {
        method, values: r.values, vectors: r.vectors, residuals: r.residuals, matvecs: r.matvecs,
        ...(r.converged !== undefined ? { converged: r.converged } : {}),
      };
    }
    case 'gaussian-sketch': {
      const r = gaussianSketchEigenvalues(op, k, pick(options, ['sketchSize', 'seed', 'correction', 'blockSize']));
      return { method, values: r.values, errorScale: r.errorScale, matvecs: r.matvecs };
    }
    default:
      throw new InputError(`topEigenvalues: method must be 'lanczos', 'sketch' or 'gaussian-sketch', got '${String(method)}'`);
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (o[key] !== undefined) out[key] = o[key];
  return out;
}
