import type { Tensor } from '../tensor/tensor.js';
import type { Objective } from '../nn/objective.js';
import type { TrainingData } from '../nn/chunk-source.js';
import type { Random } from '../tensor/random.js';
import {
  batchBlockProduct, batchedOperator, batchesOf, batchProduct, checkBatchSize, checkDamping, convexLoss, type CurvatureKind, type CurvatureOptions,
} from './batched.js';
import { blocksFromModel, type LayerBlocks } from './blocks.js';
import { perSampleGradientMatrix, type PerSampleGradientSource } from './empirical-fisher.js';
import { minibatchHessianOperator, type StochasticOperator } from './stochastic.js';
import { kroneckerSource, type KroneckerFactored } from './kronecker/source.js';

export type { CurvatureOptions, CurvatureKind } from './batched.js';

/**
 * A curvature operator of a training objective J(θ) = mean loss + (λ_wd/2)‖θ‖² over a dataset,
 * with damping λ_op:  A = C + (λ_wd + λ_op)·I,  C the curvature of the mean data loss. It declares
 * its whole structure, so that no solver needs anything but the operator (see DAMPING in
 * linear-operator.ts):
 *   - symmetric: true; psd: true for Gauss–Newton with a loss convex in the outputs, else 'unknown';
 *   - shift = λ_wd + λ_op and base = C (the same batched products without the shift);
 *   - numSamples and sampleMatvec: the minibatch product LiSSA samples (minibatchHessianOperator,
 *     built on first use with the same damping, batch size and mode);
 *   - perSampleGradients(): the [N, P] gradient matrix DataInf needs (caller owns it);
 *   - blocks: one per layer of the model (block-diagonal mode);
 *   - fitKronecker(): its K-FAC/EK-FAC approximation in the Gauss–Newton form (the Hessian's too:
 *     Kronecker factors approximate its Gauss–Newton part).
 */
export interface CurvatureOperator extends StochasticOperator, PerSampleGradientSource, LayerBlocks, KroneckerFactored {
  readonly kind: CurvatureKind;
}

function curvatureOperator(kind: CurvatureKind, objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions): CurvatureOperator {
  const batches = batchesOf(objective, theta, data);
  const damping = options.damping ?? 0;
  checkDamping(damping);
  const batchSize = options.batchSize ?? 4096;
  checkBatchSize(batchSize);
  const shift = objective.weightDecay + damping;
  const product = batchProduct(objective, theta, kind, options.mode ?? 'forward-over-reverse');
  const block = batchBlockProduct(objective, theta, kind, options.mode ?? 'forward-over-reverse');
  const psd: boolean | 'unknown' = kind === 'gauss-newton' && convexLoss(objective) ? true : 'unknown';
  const full = batchedOperator(batches, theta, batchSize, shift, options, product, block);
  const base = shift === 0 ? full : batchedOperator(batches, theta, batchSize, 0, options, product, block);
  let minibatch: StochasticOperator | null = null;
  return {
    size: full.size, dtype: full.dtype, symmetric: true, psd, kind,
    matvec: full.matvec,
    matmat: full.matmat!,
    shift,
    base: { ...base, psd },
    numSamples: batches.n,
    sampleMatvec(v: Tensor, sampleSize: number, rng: Random): Tensor {
      minibatch ??= minibatchHessianOperator(objective, theta, data, {
        damping, hessian: kind, batchSize, ...(options.mode ? { mode: options.mode } : {}),
      });
      return minibatch.sampleMatvec(v, sampleSize, rng);
    },
    perSampleGradients: () => perSampleGradientMatrix(objective, theta, data, batchSize),
    blocks: blocksFromModel(objective.model),
    ...kroneckerSource(objective, theta, data, 'gauss-newton', batchSize),
  };
}

/**
 * The Hessian of J(θ) = mean loss + (λ_wd/2)‖θ‖² over `data`, plus damping λ·I, as an operator
 * (forward-over-reverse HVPs by default, evaluated batch by batch). `data` may be a ChunkSource
 * (training data streamed from disk, see src/nn/chunk-source.ts): each product is then one pass.
 * It declares shift = λ_wd + λ and base = the data-loss Hessian (see CurvatureOperator).
 */
export function hessianOperator(objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions = {}): CurvatureOperator {
  return curvatureOperator('exact', objective, theta, data, options);
}

/**
 * The Gauss–Newton Hessian G = (1/N)·Σᵢ Jᵢᵀ·H_ℓ,ᵢ·Jᵢ + (λ_wd + λ)·I (Jᵢ: Jacobian of the model
 * outputs, H_ℓ,ᵢ: Hessian of the loss in the outputs) — positive semi-definite for convex losses
 * (declared psd for the built-in ones). It declares shift = λ_wd + λ and base = the data part.
 */
export function gaussNewtonOperator(objective: Objective, theta: Tensor, data: TrainingData, options: CurvatureOptions = {}): CurvatureOperator {
  return curvatureOperator('gauss-newton', objective, theta, data, options);
}
