import type { FloatDType } from '../backend/types.js';
import { gnvp, hvp, type HvpMode } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import { checkVector, type LinearOperator } from '../operators/linear-operator.js';
import { Objective, subset, type Dataset } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { add, concat, mean, mul, reshape, sub, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkInteger, checkNonNegative, columnNorms, requireSymmetric, restoreShape, rhsBlock, sliceColumn,
  splitShift, trueResidual, type ShiftedOperator,
} from './common.js';
import { divergenceError } from './divergence.js';
import { extremeEigenvalues, traceEstimate } from './spectral.js';
import type { FittedSolver, SolveResult } from './types.js';

/**
 * A finite-sum operator A = (1/N)·Σᵢ Aᵢ + s·I that can also be applied on a random minibatch:
 * `sampleMatvec(v, B, rng)` = (1/|B|)·Σ_{i∈B} Aᵢ·v + s·v, an unbiased estimate of A·v. `base` is
 * the data part (1/N)·Σ Aᵢ and `shift` the noise-free s (weight decay + damping).
 */
export interface StochasticOperator extends ShiftedOperator {
  readonly numSamples: number;
  /** v is [n] or [n, k] (every column sees the same batch). */
  sampleMatvec(v: Tensor, batchSize: number, rng: Random): Tensor;
}

export function isStochasticOperator(op: LinearOperator): op is StochasticOperator {
  const s = op as Partial<StochasticOperator>;
  return typeof s.sampleMatvec === 'function' && typeof s.numSamples === 'number' && typeof s.shift === 'number';
}

/** `batchSize` distinct indices from [0, N), uniformly (all of them when batchSize ≥ N). */
export function sampleIndices(n: number, batchSize: number, rng: Random): Int32Array {
  if (batchSize >= n) return Int32Array.from({ length: n }, (_, i) => i);
  if (batchSize * 4 <= n) {
    const seen = new Set<number>();
    const out = new Int32Array(batchSize);
    let c = 0;
    while (c < batchSize) {
      const i = rng.int(n);
      if (!seen.has(i)) { seen.add(i); out[c++] = i; }
    }
    return out;
  }
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < batchSize; i++) {
    const j = i + rng.int(n - i);
    const t = p[i]!; p[i] = p[j]!; p[j] = t;
  }
  return p.slice(0, batchSize);
}

export interface FiniteSumSpec {
  size: number;
  dtype: FloatDType;
  numSamples: number;
  /** s in A = (1/N)·Σ Aᵢ + s·I. Default 0. */
  shift?: number;
  /** (1/|I|)·Σ_{i∈I} Aᵢ·v for a vector v [n] and sample indices I. */
  meanProduct(indices: Int32Array, v: Tensor): Tensor;
  /** (1/N)·Σ Aᵢ·v; default: meanProduct over all samples in chunks of `chunk`. */
  fullProduct?(v: Tensor): Tensor;
  /** Samples per chunk of the default full product. Default 4096. */
  chunk?: number;
  /**
   * A minibatch estimate replacing "uniform indices + meanProduct" in sampleMatvec: must be an
   * unbiased estimate of (1/N)·Σ Aᵢ·v (used for streamed data, see minibatchHessianOperator).
   */
  sampleProduct?(v: Tensor, batchSize: number, rng: Random): Tensor;
}

/** A StochasticOperator from a finite sum: the generic constructor behind minibatchHessianOperator. */
export function finiteSumOperator(spec: FiniteSumSpec): StochasticOperator {
  const { size, dtype, numSamples } = spec;
  const shift = spec.shift ?? 0;
  checkInteger('finite-sum operator', 'numSamples', numSamples);
  checkNonNegative('finite-sum operator', 'shift', shift);
  const chunk = spec.chunk ?? 4096;
  const full = spec.fullProduct ?? ((v: Tensor) => tidy(() => {
    let acc: Tensor | null = null;
    for (let start = 0; start < numSamples; start += chunk) {
      const c = Math.min(chunk, numSamples - start);
      const part = mul(spec.meanProduct(Int32Array.from({ length: c }, (_, i) => start + i), v), c / numSamples);
      acc = acc ? add(acc, part) : part;
    }
    return acc!;
  }));
  const perColumn = (v: Tensor, f: (u: Tensor) => Tensor): Tensor => {
    if (v.rank === 1) return f(v);
    return tidy(() => {
      const cols: Tensor[] = [];
      for (let j = 0; j < v.shape[1]!; j++) cols.push(reshape(f(reshape(sliceColumn(v, j), [size])), [size, 1]));
      return concat(cols, 1);
    });
  };
  const base: LinearOperator = {
    size, dtype, symmetric: true,
    matvec: (v) => { checkVector(base, v); return full(v); },
    matmat: (v) => perColumn(v, full),
  };
  const withShift = (av: Tensor, v: Tensor): Tensor => (shift === 0 ? av : add(av, mul(v, shift)));
  const op: StochasticOperator = {
    size, dtype, symmetric: true, numSamples, shift, base,
    matvec: (v) => { checkVector(op, v); return tidy(() => withShift(full(v), v)); },
    matmat: (v) => tidy(() => withShift(perColumn(v, full), v)),
    sampleMatvec(v, batchSize, rng) {
      checkVector(op, v, 'sampleMatvec');
      checkInteger('sampleMatvec', 'batchSize', batchSize);
      if (spec.sampleProduct) {
        const sample = spec.sampleProduct;
        return tidy(() => withShift(sample(v, batchSize, rng), v));
      }
      const idx = sampleIndices(numSamples, batchSize, rng);
      return tidy(() => withShift(perColumn(v, (u) => spec.meanProduct(idx, u)), v));
    },
  };
  return op;
}

export interface MinibatchHessianOptions {
  /** λ added to the objective's weight decay: A = H + (λ_wd + λ)·I. Default 0. */
  damping?: number;
  /** The exact Hessian (default) or the Gauss–Newton Hessian of the data loss. */
  hessian?: 'exact' | 'gauss-newton';
  /** Examples per batch of the full product. Default 4096. */
  batchSize?: number;
  mode?: HvpMode;
}

/**
 * The Hessian (or Gauss–Newton Hessian) of J(θ) = mean loss + (λ_wd/2)‖θ‖² plus damping, as a
 * StochasticOperator: `matvec` is the full-data product; `sampleMatvec` the same on a uniformly
 * drawn minibatch (without replacement within the batch), (1/|B|)·Σ_{i∈B} ∇²ℓᵢ·v + (λ_wd + λ)·v —
 * the in-batch estimate H̃ₜ of LiSSA (004_7cb5e77c3e7b1392.txt eq. 49; 003_…txt eq. 7).
 *
 * Streamed data (`data` a ChunkSource): a minibatch never spans chunks, so that one LiSSA step
 * reads one chunk. Sampling is two-stage: chunk k is drawn with probability n_k/N, then
 * min(|B|, n_k) of its rows uniformly without replacement. The estimate stays unbiased,
 * E[H̃] = Σ_k (n_k/N)·(1/n_k)·Σ_{i∈k} ∇²ℓᵢ = H, but its variance is larger than uniform sampling
 * over all N when chunks differ systematically (shuffle the rows before chunking), and a batch
 * larger than a chunk is capped at that chunk. Random access (ChunkSource.chunk) avoids a scan.
 */
export function minibatchHessianOperator(objective: Objective, theta: Tensor, data: TrainingData, options: MinibatchHessianOptions = {}): StochasticOperator {
  objective.model.checkTheta(theta);
  if (isChunkSource(data)) return chunkedMinibatchOperator(objective, theta, CheckedChunks.of(data, objective), options);
  objective.validate(data);
  const { damping, full, product } = minibatchProducts(objective, theta, data, options);
  return finiteSumOperator({
    size: theta.size, dtype: theta.dtype as FloatDType, numSamples: data.x.shape[0]!,
    shift: objective.weightDecay + damping,
    meanProduct: (indices, v) => tidy(() => product(subset(data, indices), v)),
    fullProduct: (v) => full.matvec(v),
  });
}

/**
 * What both minibatch operators share: the checked options, the full data-only curvature operator
 * (for fullProduct) and the product of one batch's mean Hessian (or Gauss–Newton) with v.
 */
function minibatchProducts(objective: Objective, theta: Tensor, data: Dataset | CheckedChunks, options: MinibatchHessianOptions) {
  const damping = options.damping ?? 0;
  checkNonNegative('minibatchHessianOperator', 'damping', damping);
  const kind = options.hessian ?? 'exact';
  if (kind !== 'exact' && kind !== 'gauss-newton') throw new InputError(`hessian must be 'exact' or 'gauss-newton', got '${String(kind)}'`);
  const dataOnly = new Objective(objective.model, objective.loss, 0);
  const curvature = { batchSize: options.batchSize ?? 4096, damping: 0, ...(options.mode ? { mode: options.mode } : {}) };
  const full = kind === 'exact' ? hessianOperator(dataOnly, theta, data, curvature) : gaussNewtonOperator(dataOnly, theta, data, curvature);
  const mode = options.mode ?? 'forward-over-reverse';
  const product = (batch: Dataset, v: Tensor): Tensor => (kind === 'exact'
    ? hvp((t) => dataOnly.dataLoss(t, batch), theta, v, mode)
    : gnvp((t) => objective.model.apply(t, batch.x), (z) => mean(objective.loss.perSample(z, batch.y)), theta, v));
  return { damping, full, product };
}

function chunkedMinibatchOperator(objective: Objective, theta: Tensor, chunks: CheckedChunks, options: MinibatchHessianOptions): StochasticOperator {
  const { damping, full, product } = minibatchProducts(objective, theta, chunks, options);
  const perColumn = (v: Tensor, f: (u: Tensor) => Tensor): Tensor => {
    if (v.rank === 1) return f(v);
    const cols: Tensor[] = [];
    for (let j = 0; j < v.shape[1]!; j++) cols.push(reshape(f(reshape(sliceColumn(v, j), [theta.size])), [theta.size, 1]));
    return concat(cols, 1);
  };
  const chunkOf = (i: number): { chunk: number; row: number } => {
    let k = 0;
    while (k + 1 < chunks.starts.length && chunks.starts[k + 1]! <= i) k++;
    return { chunk: k, row: i - chunks.starts[k]! };
  };
  return finiteSumOperator({
    size: theta.size, dtype: theta.dtype as FloatDType, numSamples: chunks.n,
    shift: objective.weightDecay + damping,
    // Global indices: the rows are gathered chunk by chunk (one read per chunk touched).
    meanProduct: (indices, v) => tidy(() => {
      const byChunk = new Map<number, number[]>();
      for (const i of indices) {
        const { chunk, row } = chunkOf(i);
        (byChunk.get(chunk) ?? byChunk.set(chunk, []).get(chunk)!).push(row);
      }
      let acc: Tensor | null = null;
      for (const [k, rows] of byChunk) {
        const part = mul(product(subset(chunks.chunkAt(k), rows), v), rows.length / indices.length);
        acc = acc ? add(acc, part) : part;
      }
      return acc!;
    }),
    fullProduct: (v) => full.matvec(v),
    sampleProduct: (v, batchSize, rng) => {
      let u = rng.uniform() * chunks.n, k = 0;
      while (k + 1 < chunks.rows.length && u >= chunks.rows[k]!) { u -= chunks.rows[k]!; k++; }
      const chunk = chunks.chunkAt(k);
      const idx = sampleIndices(chunks.rows[k]!, batchSize, rng);
      const batch = idx.length === chunks.rows[k] ? chunk : subset(chunk, idx);
      return perColumn(v, (c) => product(batch, c));
    },
  });
}

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
      'lissa: needs a StochasticOperator (minibatch products), e.g. minibatchHessianOperator(objective, theta, data) or finiteSumOperator(...); for a deterministic operator use neumann (the same series with full products)');
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
  const h = resolveLissa(sop, options);
  let calls = 0;
  return {
    method: 'lissa',
    // Each solve draws fresh minibatches (seed offset by the call count) yet stays reproducible.
    solve: (b) => runLissa(sop, b, { ...options, seed: (options.seed ?? 0) + 7919 * calls++ }, h),
    dispose: () => {},
  };
}
