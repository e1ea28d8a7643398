import { tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Objective, subset, type Dataset } from '../nn/objective.js';
import { fitLbfgs } from '../nn/train.js';

export interface RetrainOptions {
  /** L-BFGS stopping tolerance on ‖∇J‖. Default 1e-10 (tight, so optimisation error ≪ the effect). */
  gradTol?: number;
  maxIter?: number;
}

/**
 * Actual leave-one-out retraining, warm-started from θ: for each index j, minimise J without
 * training point j and report the change of each test point's loss, ℓ_test(θ₋ⱼ) − ℓ_test(θ).
 * Returns a [removed, nTest] matrix (row per removed point). Ground truth for influence.
 *
 * Removal keeps every other point's weight 1/N — θ₋ⱼ minimises (1/N)·Σ_{i≠j} ℓᵢ + (λ/2)‖θ‖², the
 * exact counterpart of upweighting z_j by ε = −1/N in the influence derivation. (Re-averaging over
 * N − 1 points would also strengthen the regulariser by N/(N−1), a shift common to every removal
 * that influence functions do not model.) Equivalently: mean over N − 1 points with weight decay
 * λ·N/(N−1), which is how it is computed.
 */
export function leaveOneOut(objective: Objective, theta: Tensor, train: Dataset, test: Dataset, removed: readonly number[],
  options: RetrainOptions = {}): { deltas: Float64Array[]; gradNorms: number[]; iterations: number[] } {
  const n = train.x.shape[0]!;
  const reduced = new Objective(objective.model, objective.loss, (objective.weightDecay * n) / (n - 1));
  const base = tidy(() => objective.perSampleLosses(theta, test).dataSync());
  const deltas: Float64Array[] = [], gradNorms: number[] = [], iterations: number[] = [];
  for (const j of removed) {
    tidy(() => {
      const keepIdx = Int32Array.from({ length: n - 1 }, (_, i) => (i < j ? i : i + 1));
      const data = subset(train, keepIdx);
      const { theta: t, result } = fitLbfgs(reduced, theta, data, { gradTol: options.gradTol ?? 1e-10, maxIter: options.maxIter ?? 500 });
      const after = objective.perSampleLosses(t, test).dataSync();
      deltas.push(Float64Array.from(after, (v, i) => v - base[i]!));
      gradNorms.push(result.gradNorm);
      iterations.push(result.iterations);
    });
  }
  return { deltas, gradNorms, iterations };
}

