import { add, concat, div, keep, matmul, matmulSumSquares, maximum, reshape, slice, sum, sumSquares, tensor, tidy } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { eigh } from '../../linalg/dense.js';
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

/**
 * Stage 1 — covariances: A = (1/N)·Σₙ Σₜ ãₙₜãₙₜᵀ [inDim, inDim] and G = (1/(N·T))·Σₙ Σₜ Σₖ δₙₜₖδₙₜₖᵀ
 * [out, out] per layer, T the positions per example (1 for plain inputs; KFC's scaling for
 * sequences and convolutions). EK-FAC's corrections do not depend on this scaling.
 */
export interface Covariances {
  readonly A: Tensor;
  readonly G: Tensor;
}

/**
 * One pass: per layer Σ aᵀa, Σ a (the homogeneous coordinate's row and column: ã = [a; 1] gives
 * ΣããᵀA = [[Σaaᵀ, Σa], [Σaᵀ, rows]], assembled once at the end instead of widening every batch)
 * and Σₖ DₖᵀDₖ — one GEMM over the K stacked gradient columns [K·n·T, out].
 */
export function fitCovariances(objective: Objective, theta: Tensor, data: TrainingData, layouts: readonly KroneckerLayout[], o: StageOptions): { n: number; layers: Covariances[] } {
  const sampler = formSampler(o.form, o.fisherSamples, o.seed);
  const rows = layouts.map(() => 0);
  const { sums, n } = accumulateOverBatches(objective, theta, data, o.batchSize, (batch) => {
    const acts = batchActivity(objective, theta, layouts, batch, sampler);
    acts.forEach((act, i) => { rows[i]! += act.n * act.positions; });
    return acts.flatMap((act) => {
      const a = act.input;
      const d = reshape(act.deltas, [-1, act.deltas.shape[2]!]);
      return [matmul(a, a, { transA: true }), sum(a, 0), matmul(d, d, { transA: true })];
    });
  }, o.onBatch);
  const layers = layouts.map((l, i) => tidy(() => {
    const [saa, sa, g] = [sums[3 * i]!, sums[3 * i + 1]!, sums[3 * i + 2]!];
    let a = saa;
    if (l.bias) {
      const col = reshape(sa, [l.inFeatures, 1]);
      const corner = tensor([rows[i]!], [1, 1], saa.dtype);
      a = concat([concat([saa, col], 1), concat([reshape(sa, [1, l.inFeatures]), corner], 1)], 0);
    }
    // KFC's G (Grosse & Martens 2016, §3.1): (1/N)·Σₙ Σₜ δδᵀ / T, T positions per example (1 for plain inputs):
    // with spatially uncorrelated, homogeneous gradients E[vec(Ĝ)vec(Ĝ)ᵀ] ≈ Ω ⊗ Γ for Ω = E[Σₜ ããᵀ], Γ = E[Σₜ δδᵀ]/T.
    return { A: keep(div(a, n)), G: keep(div(g, rows[i]!)) };
  }));
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
 * ã·Q_A = a·Q_A[:in] + Q_A[in] (the homogeneous row added, not a widened copy of a). For one
 * position per example the square of an outer product separates, (uvᵀ)² = u²(v²)ᵀ, so a batch
 * costs the projections (the K columns' in one GEMM) and one GEMM (Σₖ (DₖQ_G)²)ᵀ·(ãQ_A)²; with
 * positions, one batched GEMM per column. No per-example gradient of the model is formed.
 */
export function fitCorrections(objective: Objective, theta: Tensor, data: TrainingData, layouts: readonly KroneckerLayout[],
  bases: readonly Eigenbases[], o: StageOptions): Tensor[] {
  const sampler = formSampler(o.form, o.fisherSamples, o.seed);
  const split = layouts.map((l, i) => tidy(() => {
    const q = bases[i]!.qA;
    if (!l.bias) return { top: q, last: null };
    return { top: keep(slice(q, [0, 0], [l.inFeatures, l.inDim])), last: keep(slice(q, [l.inFeatures, 0], [1, l.inDim])) };
  }));
  try {
    const { sums, n } = accumulateOverBatches(objective, theta, data, o.batchSize, (batch) =>
      batchActivity(objective, theta, layouts, batch, sampler).map((act, i) => {
        const l = layouts[i]!, qG = bases[i]!.qG, { top, last } = split[i]!;
        const K = act.deltas.shape[0]!, rows = act.n * act.positions;
        // One position: Σₖ (δₖQ_G)² and (ãQ_A)² straight from the products (matmulSumSquares: the K
        // projected columns are never stored, the inputs' projection is squared as the GEMM
        // finishes each tile), then the squared GEMM.
        if (act.positions === 1) {
          const pa2 = matmulSumSquares(reshape(act.input, [1, rows, l.inFeatures]), top, last ? { bias: last } : {});
          return matmul(matmulSumSquares(act.deltas, qG), pa2, { transA: true });
        }
        const pa = last ? add(matmul(act.input, top), last) : matmul(act.input, top);
        const pg = reshape(matmul(reshape(act.deltas, [K * rows, l.outFeatures]), qG), [K, rows, l.outFeatures]);
        const pa3 = reshape(pa, [act.n, act.positions, l.inDim]);
        let total: Tensor | null = null;
        for (let k = 0; k < K; k++) {
          const pk = reshape(slice(pg, [k, 0, 0], [1, rows, l.outFeatures]), [act.n, act.positions, l.outFeatures]);
          const term = sumSquares(matmul(pk, pa3, { transA: true }), 0);
          total = total ? add(total, term) : term;
        }
        return total!;
      }), o.onBatch);
    const out = sums.map((s) => tidy(() => keep(div(s, n))));
    sums.forEach((t) => t.dispose());
    return out;
  } finally {
    split.forEach((s) => { if (s.last) { s.top.dispose(); s.last.dispose(); } });
  }
}
