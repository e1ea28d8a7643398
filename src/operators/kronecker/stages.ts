import { div, matmul, maximum, reshape, square, sum } from '../../tensor/index.js';
import { eigh } from '../../linalg/dense.js';
import { keep, tidy } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { TrainingData } from '../../nn/chunk-source.js';
import type { Objective } from '../../nn/objective.js';
import { batchActivity, formSampler, type KroneckerForm } from './activity.js';
import type { KroneckerLayout } from './layout.js';
import { accumulateOverBatches } from './passes.js';

/**
 * The three fitted stages of K-FAC / EK-FAC, each a pass or a decomposition on the previous one
 * (Grosse et al. 2023, §2.2.3; George et al. 2018, Algorithm 1), saved by name in a fit.
 */

export interface StageOptions {
  readonly form: KroneckerForm;
  readonly fisherSamples: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly onBatch?: () => void;
}

/** Stage 1 — covariances: A = (1/N)·Σ ããᵀ [inDim, inDim] and G = (1/N)·Σₙ Σₖ δₖδₖᵀ [out, out] per layer (positions summed). */
export interface Covariances {
  readonly A: Tensor;
  readonly G: Tensor;
}

export function fitCovariances(objective: Objective, theta: Tensor, data: TrainingData, layouts: readonly KroneckerLayout[], o: StageOptions): { n: number; layers: Covariances[] } {
  const sampler = formSampler(o.form, o.fisherSamples, o.seed);
  const { sums, n } = accumulateOverBatches(objective, theta, data, o.batchSize, (batch) =>
    batchActivity(objective, theta, layouts, batch, sampler).flatMap((act, i) => {
      const l = layouts[i]!;
      const a = reshape(act.input, [-1, l.inDim]);
      const d = reshape(act.deltas, [-1, l.outFeatures]);
      return [matmul(a, a, { transA: true }), matmul(d, d, { transA: true })];
    }), o.onBatch);
  const layers = layouts.map((_, i) => tidy(() => ({ A: keep(div(sums[2 * i]!, n)), G: keep(div(sums[2 * i + 1]!, n)) })));
  sums.forEach((t) => t.dispose());
  return { n, layers };
}

/** Stage 2 — eigendecompositions A = Q_A·diag(λ_A)·Q_Aᵀ, G = Q_G·diag(λ_G)·Q_Gᵀ (eigenvalues clipped at 0: the factors are PSD, negatives are round-off). */
export interface Eigenbases {
  readonly qA: Tensor;
  readonly lambdaA: Tensor;
  readonly qG: Tensor;
  readonly lambdaG: Tensor;
}

export function eigendecompose(c: Covariances): Eigenbases {
  const a = eigh(c.A), g = eigh(c.G);
  const lambdaA = keep(maximum(a.values, 0)), lambdaG = keep(maximum(g.values, 0));
  a.values.dispose(); g.values.dispose();
  return { qA: a.vectors, lambdaA, qG: g.vectors, lambdaG };
}

/**
 * Stage 3 — EK-FAC's eigenvalue corrections (George et al. 2018, eq. 10): per layer
 * Λ = (1/N)·Σₙ Σₖ (Q_Gᵀ·Ĝₙₖ·Q_A)² [out, inDim], Ĝₙₖ = Σₜ δₙₖₜ ãₙₜᵀ the example's gradient
 * matrix for column k — the exact second moment of the gradients in the Kronecker eigenbasis.
 * For one position per example the square of an outer product separates,
 * (uvᵀ)² = u²(v²)ᵀ, so a batch costs two projections and one GEMM (Σₖ (D_k Q_G)²)ᵀ·(Ã Q_A)²;
 * with positions, one batched GEMM per column. No per-example gradient of the model is formed.
 */
export function fitCorrections(objective: Objective, theta: Tensor, data: TrainingData, layouts: readonly KroneckerLayout[],
  bases: readonly Eigenbases[], o: StageOptions): Tensor[] {
  const sampler = formSampler(o.form, o.fisherSamples, o.seed);
  const { sums, n } = accumulateOverBatches(objective, theta, data, o.batchSize, (batch) =>
    batchActivity(objective, theta, layouts, batch, sampler).map((act, i) => {
      const l = layouts[i]!, q = bases[i]!;
      const [K, m, T] = act.deltas.shape as [number, number, number, number];
      const pa = matmul(reshape(act.input, [m * T, l.inDim]), q.qA);
      const pg = matmul(reshape(act.deltas, [K * m * T, l.outFeatures]), q.qG);
      if (T === 1) {
        const s = sum(reshape(square(pg), [K, m, l.outFeatures]), 0);
        return matmul(s, square(pa), { transA: true });
      }
      const pa3 = reshape(pa, [m, T, l.inDim]);
      const pg4 = reshape(pg, [K, m, T, l.outFeatures]);
      const perExample = matmul(pg4, reshape(pa3, [1, m, T, l.inDim]), { transA: true });
      return sum(reshape(square(perExample), [K * m, l.outFeatures, l.inDim]), 0);
    }), o.onBatch);
  const out = sums.map((s) => tidy(() => keep(div(s, n))));
  sums.forEach((t) => t.dispose());
  return out;
}


