import type { FloatDType } from '../backend/types.js';
import type { HvpMode } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { subset, type Dataset, type Objective } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { add, concat, mul, reshape, tidy } from '../tensor/index.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchedOperator, batchesOf, batchProduct, checkBatchSize, convexLoss } from './batched.js';
import { blocksFromModel, type Block } from './blocks.js';
import { checkInteger, checkNonNegative, sliceColumn } from './checks.js';
import { checkVector, plusShift, type LinearOperator, type ShiftedOperator } from './linear-operator.js';

/**
 * The stochastic minibatch operator LiSSA samples: a finite sum that can also be applied on a
 * random minibatch (moved here from src/solvers/lissa.ts: it is curvature, not a solver).
 */

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
  /** Whether the data part (1/N)·Σ Aᵢ is positive semi-definite. Default 'unknown'. */
  psd?: boolean | 'unknown';
  /** Parameter blocks (a model's layers) the operator declares for block-diagonal mode. */
  blocks?: readonly Block[];
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
  const psd = spec.psd ?? 'unknown';
  const base: LinearOperator = {
    size, dtype, symmetric: true, psd,
    matvec: (v) => { checkVector(base, v); return full(v); },
    matmat: (v) => perColumn(v, full),
  };
  const withShift = (av: Tensor, v: Tensor): Tensor => plusShift(av, v, shift);
  // base psd and shift ≥ 0: the whole operator is psd too.
  const op: StochasticOperator & { blocks?: readonly Block[] } = {
    size, dtype, symmetric: true, psd, numSamples, shift, base, ...(spec.blocks ? { blocks: spec.blocks } : {}),
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
  const { damping, full, product, psd, blocks } = minibatchProducts(objective, theta, data, options);
  return finiteSumOperator({
    psd, blocks,
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
  const batchSize = options.batchSize ?? 4096;
  checkBatchSize(batchSize);
  // The full product is the data-only curvature operator (shift 0); the shift is added by finiteSumOperator.
  const product = batchProduct(objective, theta, kind, options.mode ?? 'forward-over-reverse');
  const full = batchedOperator(batchesOf(objective, theta, data), theta, batchSize, 0, {}, product);
  const psd: boolean | 'unknown' = kind === 'gauss-newton' && convexLoss(objective) ? true : 'unknown';
  return { damping, full, product, psd, blocks: blocksFromModel(objective.model) };
}

function chunkedMinibatchOperator(objective: Objective, theta: Tensor, chunks: CheckedChunks, options: MinibatchHessianOptions): StochasticOperator {
  const { damping, full, product, psd, blocks } = minibatchProducts(objective, theta, chunks, options);
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
    psd, blocks,
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
        const part = product(subset(chunks.chunkAt(k), rows), v, rows.length / indices.length);
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

