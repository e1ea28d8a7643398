import { InputError } from '../errors.js';
import { add, mul, sub, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { shifted } from '../operators/family.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import {
  checkInteger, checkNonNegative, checkTolerances, columnNorms, dampedApply, requireSymmetric, restoreShape, rhsBlock,
} from './common.js';
import { divergenceError, SCALE_SAFETY } from './divergence.js';
import { extremeEigenvalues } from '../estimators/spectral.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

export interface NeumannOptions {
  /** σ > 0: the series in A/σ. Default: 1.1 × the largest eigenvalue of A + λI from 30 Lanczos steps. */
  scale?: number;
  /** Most terms (operator products). Default 1000. */
  maxIter?: number;
  /** Stop when ‖b − (A + λI)·x‖ ≤ max(rtol·‖b‖, atol) for every column. Defaults: rtol 1e-6, atol 0. */
  rtol?: number;
  atol?: number;
  /** Solves (A + λI)·x = b. */
  damping?: number;
  /** Divergence when a residual exceeds factor·‖b‖ or turns NaN/Inf. Default 1e3. */
  divergenceFactor?: number;
  /** Seed of the Lanczos start vector (default scale and the divergence diagnosis). */
  seed?: number;
  history?: boolean;
}

function resolveScale(op: LinearOperator, options: NeumannOptions): { scale: number; estimated: boolean } {
  if (options.scale !== undefined) {
    if (!(Number.isFinite(options.scale) && options.scale > 0)) throw new InputError(`neumann: scale must be a finite number > 0, got ${options.scale}`);
    return { scale: options.scale, estimated: false };
  }
  const ext = extremeEigenvalues(shifted(op, options.damping ?? 0), { steps: 30, seed: options.seed ?? 0 });
  if (!(ext.max > 0)) throw new InputError(`neumann: the operator's largest eigenvalue estimate is ${ext.max}; the series needs a positive definite operator`);
  return { scale: SCALE_SAFETY * ext.max, estimated: true };
}

function check(op: LinearOperator, options: NeumannOptions): void {
  requireSymmetric(op, 'neumann');
  checkTolerances('neumann', options.rtol ?? 1e-6, options.atol ?? 0);
  checkInteger('neumann', 'maxIter', options.maxIter ?? 1000, 0);
  checkNonNegative('neumann', 'damping', options.damping ?? 0);
}

function run(op: LinearOperator, b: Tensor, options: NeumannOptions, scale: number, estimated: boolean): SolveResult {
  const bb = rhsBlock(op, b, 'neumann');
  const damping = options.damping ?? 0;
  const rtol = options.rtol ?? 1e-6, atol = options.atol ?? 0;
  const maxIter = options.maxIter ?? 1000;
  const factor = options.divergenceFactor ?? 1e3;
  const apply = dampedApply(op, damping);
  const bNorms = columnNorms(bb);
  const tol = Float64Array.from(bNorms, (v) => Math.max(rtol * v, atol));
  const history: number[] = [];
  return tidy(() => {
    // y = x/σ is the estimate; rₜ = b − A·yₜ = xₜ₊₁ − xₜ, so each term costs one product.
    let y = mul(bb, 1 / scale);
    let k = 0;
    let rNorms: Float64Array;
    for (;; k++) {
      const step = tidy(() => {
        const r = sub(bb, apply(y));
        return { r, norms: columnNorms(r) };
      });
      rNorms = step.norms;
      let worst = 0, done = true;
      rNorms.forEach((v, j) => {
        if (!Number.isFinite(v) || v > factor * Math.max(bNorms[j]!, 1e-300)) {
          throw divergenceError('neumann', op, damping, scale, `‖b − A·x‖ = ${v.toPrecision(3)} > ${factor}·‖b‖ after ${k} terms`, options.seed ?? 0);
        }
        worst = Math.max(worst, v);
        if (v > tol[j]!) done = false;
      });
      if (options.history !== false) history.push(worst);
      if (done || k >= maxIter) { step.r.dispose(); break; }
      const y1 = add(y, mul(step.r, 1 / scale));
      y.dispose(); step.r.dispose();
      y = y1;
    }
    const converged = rNorms.every((v, j) => v <= tol[j]!);
    return {
      x: restoreShape(y, b), method: 'neumann', iterations: k, residualNorm: Math.max(...rNorms), converged,
      ...(options.history !== false ? { history } : {}),
      info: { scale, scaleEstimated: estimated, damping },
    };
  });
}

/**
 * The truncated Neumann series (001_6ac3c1e8a864c1c4.txt: A⁻¹ = Σᵢ (I − A)ⁱ when ‖I − A‖ < 1),
 * scaled: (A + λI)⁻¹·b = σ⁻¹·Σₜ (I − (A + λI)/σ)ᵗ·b, computed as xₜ₊₁ = b + (I − (A + λI)/σ)·xₜ,
 * x₀ = b, result xₜ/σ — LiSSA with full products (Richardson iteration with step 1/σ). It converges
 * iff every eigenvalue of A + λI lies in (0, 2σ), at rate max|1 − λᵢ/σ|; the notebook's untuned
 * example (cosine 0.0067) is what happens otherwise. The default σ is 1.1·λ_max from Lanczos. A
 * residual growing past 1e3·‖b‖ (or NaN/Inf) throws DivergenceError with a suggested scale.
 */
export function neumann(op: LinearOperator, b: Tensor, options: NeumannOptions = {}): SolveResult {
  check(op, options);
  const { scale, estimated } = resolveScale(op, options);
  return run(op, b, options, scale, estimated);
}

/** Neumann with σ resolved (estimated, if not given) once. */
export function fitNeumann(op: LinearOperator, options: NeumannOptions = {}): FittedSolver {
  check(op, options);
  const { scale, estimated } = resolveScale(op, options);
  return neumannSolver(op, options, scale, estimated);
}

/** The Neumann solver rebuilt from its saved state (fitNeumann(…).state(): the scale, estimated or given). */
export function restoreNeumann(op: LinearOperator, options: NeumannOptions, state: SolverState): FittedSolver {
  check(op, options);
  const scale = state.info['scale'];
  if (typeof scale !== 'number' || !(scale > 0)) throw new InputError('neumann: the saved state has no scale > 0');
  return neumannSolver(op, options, scale, state.info['estimated'] === true);
}

function neumannSolver(op: LinearOperator, options: NeumannOptions, scale: number, estimated: boolean): FittedSolver {
  return {
    method: 'neumann', solve: (b) => run(op, b, options, scale, estimated),
    state: () => ({ tensors: {}, info: { scale, estimated } }), dispose: () => {},
  };
}
