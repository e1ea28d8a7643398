import { grad } from '../autodiff/api.js';
import { concat, expandDims, mul, neg, reshape, slice, sum, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset } from '../nn/objective.js';
import type { InfluenceModel } from './exact.js';
import { outputGradients, type OutputSpec } from './outputs.js';

/**
 * Perturbation influence of training inputs (the reference tutorial 002_7d5b2182e0d2bf0b.txt, §4,
 * "Perturbing a training input"; Koh & Liang 2017, §2.2):
 *   I_pert(z_j, z_test) = −∇θf(z_test)ᵀ · H⁻¹ · ∇x∇θℓ(z_j)        ∈ ℝ^d (d = input features)
 * Moving x_j to x_j + δ changes the test quantity f by ≈ (1/N)·I_pert(z_j, z_test)ᵀ·δ (the 1/N of
 * the tutorial's boxed parameter change, with J = (1/N)Σℓ).
 *
 * Computed with the s_test trick and a mixed second derivative: with s = H⁻¹∇θf(z_test),
 *   I_pert(z_j) = −∇x_j ⟨s, ∇θ Σ_j ℓ(θ, x_j, y_j)⟩   (reverse over reverse; each x_j only enters ℓ_j)
 * so each test point costs one double-backward pass per batch of training points.
 * Returns [nTest, nTrain, d].
 */
export function perturbationInfluence(model: InfluenceModel, test: Dataset, train: Dataset, options: { output?: OutputSpec } = {}): Tensor {
  const { objective, theta } = model;
  objective.validate(train, 'training points');
  const g = outputGradients(objective, theta, test, options.output ?? 'loss', model.batchSize);
  let s: Tensor;
  try {
    s = model.inverseHvp(g).x;
  } finally {
    g.dispose();
  }
  try {
    return tidy(() => {
      const nTest = s.shape[0]!, nTrain = train.x.shape[0]!, P = theta.size;
      const rows: Tensor[] = [];
      for (let i = 0; i < nTest; i++) {
        const si = reshape(slice(s, [i, 0], [1, P]), [P]);
        const parts: Tensor[] = [];
        for (let start = 0; start < nTrain; start += model.batchSize) {
          const b = batchOf(train, start, model.batchSize);
          parts.push(tidy(() => neg(grad((x: Tensor) => {
            const gTheta = grad((t: Tensor) => sum(objective.perSampleLosses(t, { x, y: b.y })), theta);
            return sum(mul(gTheta, si));
          }, b.x))));
        }
        rows.push(expandDims(parts.length === 1 ? parts[0]! : concat(parts, 0), 0));
      }
      return concat(rows, 0);
    });
  } finally {
    s.dispose();
  }
}
