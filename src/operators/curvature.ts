import { gnvp, hvp, type HvpMode } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { add, mean, mul, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { checkVector, type LinearOperator } from './linear-operator.js';

export interface CurvatureOptions {
  /** Examples per HVP batch (memory vs. overhead). Default 4096. */
  batchSize?: number;
  /** λ of the damped operator H + λI. Default 0. */
  damping?: number;
  /** How the exact Hessian's products are formed. */
  mode?: HvpMode;
  /** Called after every product (progress reporting for long fits such as direct's dense build). */
  onProduct?: () => void;
}

function checkDamping(damping: number): void {
  if (!Number.isFinite(damping) || damping < 0) throw new InputError(`damping must be a finite number ≥ 0, got ${damping}`);
}

/**
 * The operator v ↦ Σ_b (|b|/N)·P_b(v) + (λ_wd + λ)·v over a dataset split into batches, where
 * P_b is a per-batch curvature product of the mean data loss. `data` may be a ChunkSource: then
 * the batches are those of each chunk (at most batchSize rows, never straddling two chunks), N is
 * the total over all chunks, and each product is one pass over the source — the same operator as
 * in memory, up to the order of floating-point sums.
 */
function batchedOperator(objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions,
  product: (batch: Dataset, v: Tensor) => Tensor): LinearOperator {
  objective.model.checkTheta(theta);
  const batches = isChunkSource(data) ? chunkBatches(CheckedChunks.of(data, objective)) : memoryBatches(objective, data);
  const damping = options.damping ?? 0;
  checkDamping(damping);
  const batchSize = options.batchSize ?? 4096;
  checkBatchSize(batchSize);
  const { n } = batches, shift = objective.weightDecay + damping;
  const op: LinearOperator = {
    size: theta.size,
    dtype: theta.dtype as 'float32' | 'float64',
    symmetric: true,
    matvec(v) {
      checkVector(op, v);
      if (v.rank !== 1) throw new InputError('matvec: expected a vector');
      const out = tidy(() => {
        const acc = batches.reduce(batchSize, (b) => mul(product(b, v), b.x.shape[0]! / n));
        return shift === 0 ? acc : add(acc, mul(v, shift));
      });
      options.onProduct?.();
      return out;
    },
  };
  return op;
}

/** The training rows as batches: Σ_batches f(batch), and N. */
interface Batches {
  n: number;
  reduce(batchSize: number, f: (batch: Dataset) => Tensor): Tensor;
}

function memoryBatches(objective: Objective, data: Dataset): Batches {
  objective.validate(data);
  const n = data.x.shape[0]!;
  return {
    n,
    reduce(batchSize, f) {
      let acc: Tensor | null = null;
      for (let start = 0; start < n; start += batchSize) {
        const part = f(batchOf(data, start, batchSize));
        acc = acc ? add(acc, part) : part;
      }
      return acc!;
    },
  };
}

/** One pass over a checked chunk source per reduction, one chunk in memory at a time. */
function chunkBatches(chunks: CheckedChunks): Batches {
  return { n: chunks.n, reduce: (batchSize, f) => chunks.reduceBatches(batchSize, f) };
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
}

/**
 * The Hessian of J(θ) = mean loss + (λ_wd/2)‖θ‖² over `data`, plus damping λ·I, as an operator
 * (forward-over-reverse HVPs by default, evaluated batch by batch). `data` may be a ChunkSource
 * (training data streamed from disk, see src/nn/chunk-source.ts): each product is then one pass.
 */
export function hessianOperator(objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions = {}): LinearOperator {
  const mode = options.mode ?? 'forward-over-reverse';
  return batchedOperator(objective, theta, data, options, (b, v) => hvp((t) => objective.dataLoss(t, b), theta, v, mode));
}

/**
 * The Gauss–Newton Hessian G = (1/N)·Σᵢ Jᵢᵀ·H_ℓ,ᵢ·Jᵢ + (λ_wd + λ)·I (Jᵢ: Jacobian of the model
 * outputs, H_ℓ,ᵢ: Hessian of the loss in the outputs) — positive semi-definite for convex losses.
 */
export function gaussNewtonOperator(objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions = {}): LinearOperator {
  return batchedOperator(objective, theta, data, options, (b, v) =>
    gnvp((t) => objective.model.apply(t, b.x), (z) => mean(objective.loss.perSample(z, b.y)), theta, v));
}
