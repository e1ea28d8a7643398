import { InputError, ShapeError } from '../errors.js';
import { eigh } from '../linalg/index.js';
import { add, concat, keep, matmul, mul, reshape, slice, sub, sum, tidy, zeros } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { layerScores } from '../nn/capture.js';
import { QueryCache } from '../nn/query-cache.js';
import { Linear } from '../nn/layers/linear.js';
import type { LayerCapture } from '../nn/model.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';

/** What the low-rank query approximation cost in accuracy (InfluenceOptions.queryRank). */
export interface QueryRankStats {
  /** The rank asked for (a layer whose matrix is smaller keeps min(out, inDim)). */
  rank: number;
  /** ‖s_t − s̃_t‖/‖s_t‖ per query t, over all of θ (0 for a zero query). */
  relativeError: number[];
  /** The largest of relativeError. */
  maxRelativeError: number;
}

/** Training batches scored against m preconditioned queries s [m, P] (s_test rows). */
export interface QueryScorer {
  /** [n, m] with entry [j, t] = ∇θℓ(z_j)·s̃_t (s̃ = s unless the queries are low-rank), batch by batch. */
  score(data: Dataset): Tensor;
  /** Set when the queries were approximated (lowRankQueries). */
  readonly stats?: QueryRankStats;
  dispose(): void;
}

/** Rows of `data` in batches of `batchSize`, each scored from one capture, stacked: [n, m]. */
function scoreInBatches(data: Dataset, batchSize: number, scoreBatch: (b: Dataset) => Tensor): Tensor {
  return tidy(() => {
    const n = data.x.shape[0]!;
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) parts.push(scoreBatch(batchOf(data, start, batchSize)));
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  });
}

/**
 * Exact scores ∇θℓ(z_j)·s_t from one capture per batch (Objective.gradientScores): the same numbers
 * as the per-example gradient matrix times sᵀ, without that [n, P] matrix. Does not own s.
 */
export function exactQueries(objective: Objective, theta: Tensor, s: Tensor, batchSize: number): QueryScorer {
  const queries = new QueryCache(s); // each layer's slice of s, cut once for every batch
  return {
    score: (data) => scoreInBatches(data, batchSize, (b) => objective.gradientScores(theta, b, queries)),
    dispose: () => queries.dispose(),
  };
}

/** One Linear layer's factors: s̃_t's block as a matrix [out, inDim] is L_t·R_tᵀ; L_t, R_t side by side. */
interface LayerFactors {
  /** [out, m·r]: columns t·r … t·r + r − 1 are L_t. */
  readonly left: Tensor;
  /** [inDim, m·r]: R_t likewise (the last row is the bias coordinate when the layer has one). */
  readonly right: Tensor;
  readonly r: number;
}

/**
 * Low-rank queries (Kronfluence's `query_gradient_rank`; Grosse et al. 2023, "Studying large language
 * model generalization with influence functions", §3.2): each query s_t (a preconditioned test
 * gradient) is, per Linear layer, a matrix S_t = [W_t | b_t] of shape [out, inDim] (weight columns
 * plus the bias as a homogeneous coordinate, inDim = in + 1 with a bias), replaced by its best
 * rank-r approximation S_t,r = Σ_{k≤r} σ_k u_k v_kᵀ (Eckart–Young). The truncated SVD comes from
 * the symmetric eigendecomposition of the smaller Gram matrix: S·Sᵀ = U Λ Uᵀ gives L = U_r and
 * R = Sᵀ U_r (so L·Rᵀ = U_r U_rᵀ S = S_r), or SᵀS = V Λ Vᵀ gives R = V_r and L = S V_r — no division
 * by σ, so zero singular values are harmless. A training point is then scored from the factors,
 *   ⟨δᵢ ãᵢᵀ, L Rᵀ⟩ = Σ_k (δᵢᵀ L_k)(R_kᵀ ãᵢ)   (summed over positions for inputs [n, …, in]),
 * n·r·(out + inDim) per layer and query instead of n·out·inDim. Layers that are not Linear are
 * scored exactly from s. stats.relativeError[t] = ‖s_t − s̃_t‖/‖s_t‖ over all of θ, computed
 * directly from the reconstructed blocks. Keeps its factors (and a reference to s, which it does not
 * own) until dispose().
 */
export function lowRankQueries(objective: Objective, theta: Tensor, s: Tensor, rank: number, batchSize: number): QueryScorer {
  checkQueryRank(rank);
  const model = objective.model;
  if (s.rank !== 2 || s.shape[1] !== model.numParams) {
    throw new ShapeError(`queries must be [m, ${model.numParams}], got [${s.shape.join(', ')}]`);
  }
  const m = s.shape[0]!;
  const factors = new Map<number, LayerFactors>(); // by the layer's offset in θ
  const errSq = new Float64Array(m);
  try {
    for (const site of model.trackedLayers()) {
      if (!(site.layer instanceof Linear)) continue;
      const f = tidy(() => layerFactors(s, site.offset, site.layer as Linear, rank, errSq));
      factors.set(site.offset, { left: keep(f.left), right: keep(f.right), r: f.r });
    }
  } catch (err) {
    for (const f of factors.values()) { f.left.dispose(); f.right.dispose(); }
    throw err;
  }
  const normSq = tidy(() => sum(mul(s, s), 1).dataSync());
  const relativeError = Array.from(errSq, (e, t) => (normSq[t]! > 0 ? Math.sqrt(e / normSq[t]!) : 0));
  const stats: QueryRankStats = { rank, relativeError, maxRelativeError: Math.max(0, ...relativeError) };
  const scoreBatch = (b: Dataset): Tensor => {
    const captures = objective.capture(theta, b);
    const n = captures.losses.shape[0]!;
    let total: Tensor = zeros([n, m], theta.dtype);
    for (const c of captures.layers) {
      const f = factors.get(c.site.offset);
      total = add(total, f ? factorScores(c, f, m) : layerScores(theta, c, slice(s, [0, c.site.offset], [m, c.site.size])));
    }
    return total;
  };
  return {
    score: (data) => scoreInBatches(data, batchSize, scoreBatch),
    stats,
    dispose() {
      for (const f of factors.values()) { f.left.dispose(); f.right.dispose(); }
      factors.clear();
    },
  };
}

/** rank must be a positive integer (InputError otherwise). */
export function checkQueryRank(rank: unknown): asserts rank is number {
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
    throw new InputError(`queryRank must be a positive integer, got ${String(rank)}`);
  }
}

/** The factors of every query's block of one Linear layer; adds each query's ‖S_t − L_t R_tᵀ‖² to errSq. */
function layerFactors(s: Tensor, offset: number, layer: Linear, rank: number, errSq: Float64Array): { left: Tensor; right: Tensor; r: number } {
  const m = s.shape[0]!, out = layer.outFeatures, inF = layer.inFeatures;
  const inDim = inF + (layer.bias ? 1 : 0);
  const w = reshape(slice(s, [0, offset], [m, out * inF]), [m, out, inF]);
  const S = layer.bias ? concat([w, reshape(slice(s, [0, offset + out * inF], [m, out]), [m, out, 1])], 2) : w;
  const r = Math.min(rank, out, inDim);
  // The smaller Gram matrix: [m, out, out] or [m, inDim, inDim].
  const leftGram = out <= inDim;
  const d = leftGram ? out : inDim;
  const gram = leftGram ? matmul(S, S, { transB: true }) : matmul(S, S, { transA: true });
  const lefts: Tensor[] = [], rights: Tensor[] = [];
  for (let t = 0; t < m; t++) {
    const St = reshape(slice(S, [t, 0, 0], [1, out, inDim]), [out, inDim]);
    const { vectors } = eigh(reshape(slice(gram, [t, 0, 0], [1, d, d]), [d, d]));
    const top = slice(vectors, [0, d - r], [d, r]); // eigenvalues ascending: the last r columns
    const L = leftGram ? top : matmul(St, top);
    const R = leftGram ? matmul(St, top, { transA: true }) : top;
    const diff = sub(St, matmul(L, R, { transB: true }));
    errSq[t]! += sum(mul(diff, diff)).item();
    lefts.push(L); rights.push(R);
  }
  return { left: concat(lefts, 1), right: concat(rights, 1), r };
}

/** [n, m]: Σ_k (δᵢᵀ L_t,k)(R_t,kᵀ ãᵢ) for every example i and query t, summed over positions. */
function factorScores(c: LayerCapture, f: LayerFactors, m: number): Tensor {
  const layer = c.site.layer as Linear;
  const out = layer.outFeatures, inF = layer.inFeatures;
  const n = c.input.shape[0]!;
  const a2 = reshape(c.input, [-1, inF]), d2 = reshape(c.outputGrad, [-1, out]);
  const N = a2.shape[0]!;
  const dl = matmul(d2, f.left); // [N, m·r]
  let ar = matmul(a2, slice(f.right, [0, 0], [inF, m * f.r])); // [N, m·r]
  if (layer.bias) ar = add(ar, slice(f.right, [inF, 0], [1, m * f.r])); // ã's constant 1
  let scores = sum(reshape(mul(dl, ar), [N, m, f.r]), 2);
  if (N !== n) scores = sum(reshape(scores, [n, N / n, m]), 1);
  return scores;
}
