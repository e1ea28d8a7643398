import { InputError } from '../errors.js';
import { concat, expandDims, mul, sum, tidy, transpose, zeros } from '../tensor/index.js';
import { subset, type Dataset, type Objective } from '../nn/objective.js';
import type { Tensor } from '../tensor/tensor.js';
import { fitLbfgs } from '../nn/train.js';
import { Objective as ObjectiveClass } from '../nn/objective.js';
import type { InfluenceModel } from './exact.js';
import { isChunkSource } from '../nn/chunk-source.js';
import { outputGradients, outputValues, type OutputSpec } from './outputs.js';
import type { RetrainOptions } from './leave-one-out.js';

function checkGroups(groups: readonly (readonly number[])[], n: number): void {
  if (!Array.isArray(groups) || groups.length === 0) throw new InputError('group influence: expected a non-empty list of index groups');
  groups.forEach((g, k) => {
    if (!Array.isArray(g) || g.length === 0) throw new InputError(`group ${k}: expected a non-empty list of training indices`);
    const seen = new Set<number>();
    for (const j of g) {
      if (!Number.isInteger(j) || j < 0 || j >= n) throw new InputError(`group ${k}: index ${j} is outside [0, ${n})`);
      if (seen.has(j)) throw new InputError(`group ${k}: index ${j} appears twice`);
      seen.add(j);
    }
    if (g.length >= n) throw new InputError(`group ${k}: removing all ${n} training points leaves nothing to train on`);
  });
}

/**
 * Predicted change of each test quantity when a group S of training points is removed, by the
 * first-order (additive) group influence of Koh, Ang, Teo & Liang, "On the accuracy of influence
 * functions for measuring group effects" (NeurIPS 2019), eq. 2: the sum of the single-point terms,
 *   Δf(z_test) ≈ (1/N)·∇θf(z_test)ᵀ·H⁻¹·Σ_{z∈S} ∇θℓ(z) = −(1/N)·Σ_{z∈S} I(z, z_test),
 * N = the model's training-set size. It ignores interactions between removed points (the second-
 * order terms of that paper), so it underestimates large coherent groups; `retrainWithout` is the
 * ground truth. Indices refer to rows of the model's training set (global row numbers across the
 * chunks when it is a ChunkSource: one pass, each chunk's members summed). Returns [nTest, nGroups].
 */
export function groupInfluence(model: InfluenceModel, test: Dataset, groups: readonly (readonly number[])[],
  options: { output?: OutputSpec } = {}): Tensor {
  const train = model.train;
  const n = isChunkSource(train) ? train.n : train.x.shape[0]!;
  checkGroups(groups, n);
  const g = outputGradients(model.objective, model.theta, test, options.output ?? 'loss', model.batchSize);
  let s: Tensor;
  try {
    s = model.inverseHvp(g).x;
  } finally {
    g.dispose();
  }
  const scorer = (() => {
    try {
      return model.queryScorer(s);
    } catch (err) {
      s.dispose();
      throw err;
    }
  })();
  try {
    return tidy(() => {
      const m = s.shape[0]!;
      // Σ_{z∈S} ∇ℓ(z)·s_t = the column sums of the group's scores (from captures, no [|S|, P] gradients).
      const groupSum = (d: Dataset, idx: readonly number[]): Tensor =>
        expandDims(idx.length > 0 ? sum(scorer.score(subset(d, idx)), 0) : zeros([m], model.theta.dtype), 0);
      const sums = isChunkSource(train) // [nGroups, m]
        ? train.reduce((chunk, _k, start) => {
          const rows = chunk.x.shape[0]!;
          const local = groups.map((g) => g.filter((j) => j >= start && j < start + rows).map((j) => j - start));
          if (local.every((l) => l.length === 0)) return null;
          return concat(local.map((l) => groupSum(chunk, l)), 0);
        })
        : concat(groups.map((idx) => groupSum(train, idx)), 0);
      return mul(transpose(sums), 1 / n);
    });
  } finally {
    scorer.dispose();
    s.dispose();
  }
}

/**
 * Ground truth for removal: retrain without each group, warm-started at θ with L-BFGS to a tight
 * tolerance, and report f_test(θ₋S) − f_test(θ) for every test point ([groups][nTest]). As in
 * leaveOneOut, every kept point keeps weight 1/N (so the mean over N − |S| points is taken with
 * weight decay λ·N/(N − |S|)) — the exact counterpart of the influence derivation.
 */
export function retrainWithout(objective: Objective, theta: Tensor, train: Dataset, test: Dataset, groups: readonly (readonly number[])[],
  options: RetrainOptions & { output?: OutputSpec } = {}): { deltas: Float64Array[]; gradNorms: number[]; iterations: number[] } {
  const n = train.x.shape[0]!;
  checkGroups(groups, n);
  const output = options.output ?? 'loss';
  const base = tidy(() => outputValues(objective, theta, test, output).dataSync());
  const deltas: Float64Array[] = [], gradNorms: number[] = [], iterations: number[] = [];
  for (const group of groups) {
    const removed = new Set(group);
    const reduced = new ObjectiveClass(objective.model, objective.loss, (objective.weightDecay * n) / (n - removed.size));
    tidy(() => {
      const keepIdx = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !removed.has(i));
      const { theta: t, result } = fitLbfgs(reduced, theta, subset(train, keepIdx), { gradTol: options.gradTol ?? 1e-10, maxIter: options.maxIter ?? 500 });
      const after = outputValues(objective, t, test, output).dataSync();
      deltas.push(Float64Array.from(after, (v, i) => v - base[i]!));
      gradNorms.push(result.gradNorm);
      iterations.push(result.iterations);
    });
  }
  return { deltas, gradNorms, iterations };
}
