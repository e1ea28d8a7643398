import { InputError } from '../errors.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { isStochasticOperator, type StochasticOperator } from '../operators/stochastic.js';
import { recommendLissa, type LissaRecommendation, type LissaRecommendOptions } from '../estimators/lissa-tuning.js';
import { add, mul, sub, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkInteger, checkNonNegative, columnNorms, requireSymmetric, restoreShape, rhsBlock, trueResidual,
} from './common.js';
import { divergenceError } from './divergence.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

export interface LissaOptions {
  /** σ (> 0): the series uses A/σ. Default: recommended (see `auto`). */
  scale?: number;
  /** T, the recursion depth (minibatch products per repeat). Default: recommended, else 1000. */
  depth?: number;
  /** R, independent runs averaged (004_…txt eq. 49). Default 1. */
  repeats?: number;
  /** Samples per minibatch product. Default: recommended, else min(N, 32). */
  batchSize?: number;
  /** λ: solves (A + λI)·x = b. Default 0. */
  damping?: number;
  /** pyDVL's `dampen` d ∈ [0, 1): x ← b + (1 − d)·x − A·x/σ, which adds σ·d to the damping. Default 0. */
  dampen?: number;
  /** Stop a repeat early when ‖xₜ₊₁ − xₜ‖ ≤ rtol·‖xₜ₊₁‖ (every column). Default 0: run T steps. */
  rtol?: number;
  /** Hyperparameters from recommendLissa (the default when `scale` is not given); explicit
   *  scale/depth/batchSize still override the recommendation. */
  auto?: boolean;
  /**
   * With `auto`: the bound on the relative RMS sampling error the batch size must meet (see
   * LissaRecommendOptions.targetError). Default 0.1; null = Theorem 1's batch alone, which only
   * guarantees convergence (its error bound is ≈ 1; on the test problem: 0.7–0.8 relative error).
   */
  targetError?: number | null;
  /** Seeds the minibatch sampling and the recommendation's probes. Default 0. */
  seed?: number;
  recommend?: Omit<LissaRecommendOptions, 'seed' | 'targetError'>;
  /** Divergence when ‖xₜ₊₁ − xₜ‖ > factor·‖b‖ or NaN/Inf. Default 1e3. */
  divergenceFactor?: number;
  /** ‖b − (A + λI)·x‖ with the full operator after the solve (one product per column). Default false (NaN). */
  computeResidual?: boolean;
  /** Keep max‖xₜ₊₁ − xₜ‖/σ of the first repeat per step. Default true. */
  history?: boolean;
}

interface ResolvedLissa { scale: number; depth: number; batchSize: number; repeats: number; recommendation?: LissaRecommendation }

function resolveLissa(op: StochasticOperator, options: LissaOptions): ResolvedLissa {
  const damping = options.damping ?? 0;
  checkNonNegative('lissa', 'damping', damping);
  const dampen = options.dampen ?? 0;
  if (!(dampen >= 0 && dampen < 1)) throw new InputError(`lissa: dampen must be in [0, 1), got ${dampen}`);
  const repeats = options.repeats ?? 1;
  checkInteger('lissa', 'repeats', repeats);
  if (options.scale !== undefined && !(Number.isFinite(options.scale) && options.scale > 0)) {
    throw new InputError(`lissa: scale must be a finite number > 0, got ${options.scale}`);
  }
  if (options.depth !== undefined) checkInteger('lissa', 'depth', options.depth);
  if (options.batchSize !== undefined) checkInteger('lissa', 'batchSize', options.batchSize);
  const rtol = options.rtol ?? 0;
  checkNonNegative('lissa', 'rtol', rtol);
  const auto = options.auto ?? options.scale === undefined;
  if (!auto) {
    return { scale: options.scale!, depth: options.depth ?? 1000, batchSize: options.batchSize ?? Math.min(op.numSamples, 32), repeats };
  }
  const target = options.targetError === undefined ? 0.1 : options.targetError;
  const rec = recommendLissa(op, damping, {
    ...(target !== null ? { targetError: target } : {}), ...(options.recommend ?? {}), seed: options.seed ?? 0,
  });
  return {
    scale: options.scale ?? rec.scale, depth: options.depth ?? rec.depth, batchSize: options.batchSize ?? rec.batchSize, repeats,
    recommendation: rec,
  };
}

function runLissa(op: StochasticOperator, b: Tensor, options: LissaOptions, h: ResolvedLissa): SolveResult {
  const bb = rhsBlock(op, b, 'lissa');
  const damping = options.damping ?? 0, dampen = options.dampen ?? 0, rtol = options.rtol ?? 0;
  const factor = options.divergenceFactor ?? 1e3;
  const { scale, depth, batchSize, repeats } = h;
  const rng = new Random((options.seed ?? 0) + 0x5eed);
  const bNorms = columnNorms(bb);
  const history: number[] = [];
  let steps = 0;
  let earlyStops = 0;
  const x = tidy(() => {
    let sum: Tensor | null = null;
    for (let rep = 0; rep < repeats; rep++) {
      let xt = bb;
      let t = 0;
      for (; t < depth; t++) {
        const next = tidy(() => {
          let ax = op.sampleMatvec(xt, batchSize, rng);
          if (damping !== 0) ax = add(ax, mul(xt, damping));
          const x1 = sub(add(bb, mul(xt, 1 - dampen)), mul(ax, 1 / scale));
          return { x1, delta: columnNorms(sub(x1, xt)), norms: rtol > 0 ? columnNorms(x1) : null };
        });
        if (xt !== bb) xt.dispose();
        xt = next.x1;
        let worst = 0, done = true;
        for (let j = 0; j < next.delta.length; j++) {
          const d = next.delta[j]!;
          if (!Number.isFinite(d) || d > factor * Math.max(bNorms[j]!, 1e-300)) {
            throw divergenceError('lissa', op, damping + scale * dampen, scale,
              `‖xₜ₊₁ − xₜ‖ = ${d.toPrecision(3)} > ${factor}·‖b‖ at step ${t + 1} of repeat ${rep + 1}`, options.seed ?? 0);
          }
          worst = Math.max(worst, d);
          if (!(next.norms && d <= rtol * next.norms[j]!)) done = false;
        }
        if (rep === 0 && options.history !== false) history.push(worst / scale);
        if (rtol > 0 && done) { t++; earlyStops++; break; }
      }
      steps = Math.max(steps, t);
      const contribution = mul(xt, 1 / (scale * repeats));
      if (xt !== bb) xt.dispose();
      const s: Tensor = sum ? add(sum, contribution) : contribution;
      if (sum) { sum.dispose(); contribution.dispose(); }
      sum = s;
    }
    return sum!;
  });
  const residualNorm = options.computeResidual ? trueResidual(op, damping + scale * dampen, bb, x) : NaN;
  return {
    x: restoreShape(x, b), method: 'lissa', iterations: steps, residualNorm,
    converged: rtol > 0 ? earlyStops === repeats : true,
    ...(options.history !== false ? { history } : {}),
    info: {
      scale, depth, batchSize, repeats, dampen, damping, rtol,
      effectiveDamping: damping + scale * dampen,
      minibatchProducts: steps * repeats,
      ...(h.recommendation ? { recommendation: h.recommendation } : {}),
      ...(options.computeResidual ? {} : { residual: 'not computed (computeResidual: true costs one full product per column)' }),
    },
  };
}

function requireStochastic(op: LinearOperator): StochasticOperator {
  if (!isStochasticOperator(op)) {
    throw new InputError(
      'lissa: needs a StochasticOperator (minibatch products), e.g. hessianOperator, gaussNewtonOperator or minibatchHessianOperator(objective, theta, data), or finiteSumOperator(...); for a deterministic operator use neumann (the same series with full products)');
  }
  requireSymmetric(op, 'lissa');
  return op;
}

/**
 * LiSSA, the Linear-time Stochastic Second-order Algorithm (Agarwal, Bullins & Hazan 2017,
 * "Second-order stochastic optimization for machine learning in linear time", JMLR 18), in the
 * form of 004_7cb5e77c3e7b1392.txt eq. 49 and pyDVL (000_c68d44e0a80b1161.txt):
 *
 *   x₀ = b,   xₜ₊₁ = b + (1 − d)·xₜ − (H̃ₜ + λ)·xₜ/σ,   result (1/R)·Σ_r x_T^(r)/σ,
 *
 * where H̃ₜ is the operator on a fresh minibatch, σ the scale, d pyDVL's `dampen` (default 0) and R
 * the repeats. In expectation the iterates follow the Neumann series of σ·(A + λ + σd)⁻¹·b, which
 * converges when every eigenvalue of A + λ lies in (0, 2σ). With `auto` (the default when no
 * scale is given) σ, T and |B| come from recommendLissa (Theorem 1 of 003_60d87249c94aba45.txt),
 * the batch raised until the sampling-error bound is ≤ targetError (default 0.1).
 * A blow-up (NaN/Inf or an update larger than 1e3·‖b‖) throws DivergenceError with the scale a
 * few Lanczos steps say it needs. b may be [n] or [n, k] (all columns share each minibatch).
 */
export function lissa(op: LinearOperator, b: Tensor, options: LissaOptions = {}): SolveResult {
  const sop = requireStochastic(op);
  return runLissa(sop, b, options, resolveLissa(sop, options));
}

/** LiSSA with its hyperparameters resolved (and recommended, if auto) once, for many right-hand sides. */
export function fitLissa(op: LinearOperator, options: LissaOptions = {}): FittedSolver {
  const sop = requireStochastic(op);
  return lissaSolver(sop, options, resolveLissa(sop, options), 0);
}

/**
 * LiSSA rebuilt from its saved state (fitLissa(…).state(): the resolved σ, T, |B|, R, the
 * recommendation and the solve count, so the next solve draws the minibatches it would have drawn).
 */
export function restoreLissa(op: LinearOperator, options: LissaOptions, state: SolverState): FittedSolver {
  const i = state.info as Partial<ResolvedLissa> & { calls?: unknown };
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!ok(i.scale) || !ok(i.depth) || !ok(i.batchSize) || !ok(i.repeats) || typeof i.calls !== 'number') {
    throw new InputError('lissa: the saved state lacks scale, depth, batchSize, repeats or the solve count');
  }
  return lissaSolver(requireStochastic(op), options,
    { scale: i.scale, depth: i.depth, batchSize: i.batchSize, repeats: i.repeats, ...(i.recommendation ? { recommendation: i.recommendation } : {}) }, i.calls);
}

function lissaSolver(sop: StochasticOperator, options: LissaOptions, h: ResolvedLissa, calls: number): FittedSolver {
  return {
    method: 'lissa',
    // Each solve draws fresh minibatches (seed offset by the call count) yet stays reproducible.
    solve: (b) => runLissa(sop, b, { ...options, seed: (options.seed ?? 0) + 7919 * calls++ }, h),
    state: () => ({ tensors: {}, info: { ...h, calls } }),
    dispose: () => {},
  };
}
