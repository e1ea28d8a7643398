import { kroneckerSource, type KroneckerFactored } from './kronecker/source.js';
import type { FloatDType } from '../backend/types.js';
import { add, concat, keep, matmul, mul, reshape, sum, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { blocksFromModel, type LayerBlocks } from './blocks.js';
import { checkNonNegative } from './checks.js';
import { checkVector, plusShift, type LinearOperator, type ShiftedOperator } from './linear-operator.js';

// ---------------------------------------------------------------------------------------------
// Per-sample gradients and the empirical Fisher

/**
 * Per-example loss gradients ∇θℓ(zᵢ) as an [N, P] matrix (no weight decay), batch by batch. From a
 * ChunkSource the rows come chunk after chunk (the result itself is N×P and lives in memory).
 */
export function perSampleGradientMatrix(objective: Objective, theta: Tensor, data: TrainingData, batchSize = 1024): Tensor {
  objective.model.checkTheta(theta);
  if (isChunkSource(data)) return chunkGradientMatrix(objective, theta, CheckedChunks.of(data, objective), batchSize);
  objective.validate(data);
  const n = data.x.shape[0]!;
  return tidy(() => {
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) parts.push(objective.perSampleGradients(theta, batchOf(data, start, batchSize)));
    return concat(parts, 0);
  });
}

function chunkGradientMatrix(objective: Objective, theta: Tensor, chunks: CheckedChunks, batchSize: number): Tensor {
  const parts: Tensor[] = [];
  try {
    chunks.forEach((chunk) => {
      const r = chunk.x.shape[0]!;
      for (let s = 0; s < r; s += batchSize) parts.push(keep(objective.perSampleGradients(theta, batchOf(chunk, s, batchSize))));
    });
    return parts.length === 1 ? parts.pop()! : tidy(() => concat(parts, 0)); // concat of one part may be that part
  } finally {
    for (const p of parts) p.dispose();
  }
}

/**
 * An operator that can hand out the per-sample gradients of its training data (what DataInf
 * needs): the curvature operators do. `perSampleGradients()` computes a fresh [N, P] matrix the
 * caller owns.
 */
export interface PerSampleGradientSource {
  readonly numSamples: number;
  perSampleGradients(): Tensor;
}

export function hasPerSampleGradients(op: LinearOperator): op is LinearOperator & PerSampleGradientSource {
  const s = op as Partial<PerSampleGradientSource>;
  return typeof s.perSampleGradients === 'function' && typeof s.numSamples === 'number';
}

/** The empirical Fisher: a ShiftedOperator (psd) that can also hand out its per-sample gradients. */
export interface EmpiricalFisherOperator extends ShiftedOperator, PerSampleGradientSource, LayerBlocks, KroneckerFactored {
  readonly psd: true;
  /** The [N, P] per-sample gradients (cached, or recomputed when over the cache limit; caller disposes a recomputed one). */
  gradients(): Tensor;
  /** Frees the cached gradients. */
  dispose(): void;
}

export interface EmpiricalFisherOptions {
  /** λ added to the weight decay: (1/N)·Σ gᵢgᵢᵀ + (λ_wd + λ)·I. Default 0. */
  damping?: number;
  /** Examples per batch of per-sample gradients. Default 1024. */
  batchSize?: number;
  /** Keep G [N, P] in memory when N·P ≤ this (default 2²⁴ entries; never for a ChunkSource); above, recompute per product. */
  cacheLimit?: number;
}

/**
 * The empirical Fisher / outer-product operator F = (1/N)·Σᵢ ∇ℓᵢ·∇ℓᵢᵀ + (λ_wd + λ)·I (the
 * outer-product estimator of 002_7d5b2182e0d2bf0b.txt; 003_…txt on empirical vs. true Fisher) as
 * a LinearOperator: per batch two matrix products, F·V = Σ_b G_bᵀ·(G_b·V)/N + s·V, with G_b the
 * per-sample gradients from Objective.perSampleGradients. Closed-form diagonal and trace. It is a
 * ShiftedOperator (base = the outer-product part, shift = λ_wd + λ), positive semi-definite.
 */
export function empiricalFisherOperator(objective: Objective, theta: Tensor, data: TrainingData, options: EmpiricalFisherOptions = {}): EmpiricalFisherOperator {
  objective.model.checkTheta(theta);
  const chunks = isChunkSource(data) ? CheckedChunks.of(data, objective) : null;
  if (!chunks) objective.validate(data as Dataset);
  const damping = options.damping ?? 0;
  checkNonNegative('empiricalFisherOperator', 'damping', damping);
  const n = chunks ? chunks.n : (data as Dataset).x.shape[0]!, p = theta.size;
  const batchSize = options.batchSize ?? 1024;
  const shift = objective.weightDecay + damping;
  const dtype = theta.dtype as FloatDType;
  // A chunk source is streamed to keep memory flat: its gradients are recomputed per product.
  const cacheable = !chunks && n * p <= (options.cacheLimit ?? 2 ** 24);
  let cached: Tensor | null = null;
  const cache = (): Tensor => {
    if (!cached) cached = keep(perSampleGradientMatrix(objective, theta, data, batchSize));
    return cached;
  };
  const forEachBatch = (f: (g: Tensor) => Tensor): Tensor => tidy(() => {
    if (cacheable) return f(cache());
    if (chunks) return chunks.reduceBatches(batchSize, (b) => f(objective.perSampleGradients(theta, b)));
    const inMemory = data as Dataset;
    let acc: Tensor | null = null;
    for (let start = 0; start < n; start += batchSize) {
      const part = tidy(() => f(objective.perSampleGradients(theta, batchOf(inMemory, start, batchSize))));
      acc = acc ? add(acc, part) : part;
    }
    return acc!;
  });
  const outer = (v: Tensor): Tensor => {
    const vm = v.rank === 1 ? reshape(v, [p, 1]) : v;
    const out = mul(forEachBatch((g) => matmul(g, matmul(g, vm), { transA: true })), 1 / n);
    return v.rank === 1 ? reshape(out, [p]) : out;
  };
  const squares = (): Tensor => forEachBatch((g) => sum(mul(g, g), 0));
  const base: LinearOperator = {
    size: p, dtype, symmetric: true, psd: true,
    matvec: (v) => { checkVector(base, v); return tidy(() => outer(v)); },
    matmat: (v) => { checkVector(base, v, 'matmat'); return tidy(() => outer(v)); },
    diagonal: () => tidy(() => mul(squares(), 1 / n)),
    trace: () => tidy(() => sum(squares()).item() / n),
  };
  const op: EmpiricalFisherOperator = {
    size: p, dtype, symmetric: true, psd: true, shift, base, numSamples: n, blocks: blocksFromModel(objective.model),
    ...kroneckerSource(objective, theta, chunks ?? data, 'empirical-fisher', batchSize),
    matvec: (v) => { checkVector(op, v); return tidy(() => plusShift(outer(v), v, shift)); },
    matmat: (v) => { checkVector(op, v, 'matmat'); return tidy(() => plusShift(outer(v), v, shift)); },
    diagonal: () => tidy(() => add(mul(squares(), 1 / n), shift)),
    trace: () => tidy(() => sum(squares()).item() / n + p * shift),
    gradients: () => (cacheable ? cache() : perSampleGradientMatrix(objective, theta, data, batchSize)),
    perSampleGradients: () => perSampleGradientMatrix(objective, theta, data, batchSize),
    dispose: () => { cached?.dispose(); cached = null; },
  };
  return op;
}

export function isEmpiricalFisherOperator(op: LinearOperator): op is EmpiricalFisherOperator {
  return typeof (op as Partial<EmpiricalFisherOperator>).gradients === 'function' && typeof (op as Partial<EmpiricalFisherOperator>).shift === 'number';
}

