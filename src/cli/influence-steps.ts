/**
 * The steps of `curvature influence`, one function each, so that a streaming or worker-based
 * implementation can replace any one of them: fit → solve test points → score training points
 * (chunked) → top-k → self-influence → validation against retraining.
 */
import type { QueryRankStats } from '../influence/query-rank.js';
import { InputError } from '../errors.js';
import { InfluenceModel, type InfluenceOptions } from '../influence/exact.js';
import { pearson, spearman } from '../influence/correlation.js';
import { leaveOneOut } from '../influence/leave-one-out.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { newtonLeaveOneOut } from '../influence/newton-retrain.js';
import { pbrf } from '../influence/pbrf.js';
import { concat, mul, neg, reshape, slice, sum, tidy, transpose } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Progress } from './progress.js';

/** What the solves behind a set of scores did, with residual histories for convergence plots. */
export interface SolveSummary {
  method: string;
  solves: number;
  iterations: number[];
  residualNorms: number[];
  converged: boolean;
  /** Residual norm per iteration, one series per solve (empty for direct methods). */
  histories: number[][];
  info: Record<string, unknown>[];
  /** The solves that stopped short of their tolerance: which, after how many iterations, and ‖r‖ against ‖b‖. */
  notConverged: { solve: number; iterations: number; residualNorm: number; rhsNorm: number }[];
}

const noProgress: Progress = { tick() {}, done() {} };

function rowNorm(g: Tensor, i: number, p: number): number {
  return tidy(() => Math.sqrt(sum(mul(slice(g, [i, 0], [1, p]), slice(g, [i, 0], [1, p]))).dataSync()[0]!));
}

/** Step 1: the curvature operator and its fitted solver (a Cholesky factorisation for direct). */
export function fitInfluence(objective: Objective, theta: Tensor, train: Dataset, options: InfluenceOptions): InfluenceModel {
  return InfluenceModel.fit(objective, theta, train, options);
}

/**
 * Step 2: s_test = H⁻¹·∇ℓ(z_test) for every test point (Koh & Liang 2017, the s_test trick), [nTest, P].
 * Block CG solves all right-hand sides at once; every other method one at a time, so each keeps
 * its own residual history.
 */
export function solveTestPoints(infl: InfluenceModel, test: Dataset, bar: Progress = noProgress): { s: Tensor; summary: SolveSummary } {
  const g = infl.gradients(test);
  const m = g.shape[0]!, p = g.shape[1]!;
  const summary: SolveSummary = { method: infl.solver.method, solves: m, iterations: [], residualNorms: [], converged: true, histories: [], info: [], notConverged: [] };
  const record = (r: { iterations: number; residualNorm: number; converged: boolean; history?: number[]; info?: Record<string, unknown> }, i: number): void => {
    summary.iterations.push(r.iterations); summary.residualNorms.push(r.residualNorm);
    summary.converged &&= r.converged; summary.info.push(r.info ?? {});
    if (!r.converged) {
      const rhsNorm = i >= 0 ? rowNorm(g, i, p) : tidy(() => Math.sqrt(sum(mul(g, g)).dataSync()[0]!));
      summary.notConverged.push({ solve: i, iterations: r.iterations, residualNorm: r.residualNorm, rhsNorm });
    }
    if (r.history && r.history.length > 0) summary.histories.push(r.history);
  };
  try {
    if (infl.solver.method === 'block-cg') {
      const r = infl.solver.solve(transpose(g));
      record(r, -1);
      bar.tick(m);
      const s = tidy(() => transpose(r.x));
      r.x.dispose();
      return { s, summary };
    }
    const s = tidy(() => {
      const rows: Tensor[] = [];
      for (let i = 0; i < m; i++) {
        const r = infl.solver.solve(reshape(slice(g, [i, 0], [1, p]), [p]));
        record(r, i);
        rows.push(reshape(r.x, [1, p]));
        bar.tick();
      }
      return concat(rows, 0);
    });
    return { s, summary };
  } finally {
    g.dispose();
    bar.done();
  }
}

/**
 * Step 3: I_up,loss(z_j, z_test,i) = −s_iᵀ·∇ℓ(z_j) for every training point, `chunk` training
 * points at a time, each batch scored from one capture (InfluenceModel.queryScorer; memory: the
 * batch's activations, never chunk × P gradients); `onChunk(start, block [nTest, count])` sees
 * each block as it is computed (for incremental writers). Returns the [nTest, nTrain] matrix, row-major.
 */
export function scoreTraining(infl: InfluenceModel, s: Tensor, train: Dataset, chunk: number, bar: Progress = noProgress,
  onChunk?: (start: number, block: Float64Array, count: number) => void, onQueryRank?: (stats: QueryRankStats) => void): Float64Array {
  const nTest = s.shape[0]!, n = train.x.shape[0]!;
  const out = new Float64Array(nTest * n);
  const scorer = infl.queryScorer(s);
  if (scorer.stats) onQueryRank?.(scorer.stats);
  try {
    for (let start = 0; start < n; start += chunk) {
      const count = Math.min(chunk, n - start);
      // [nTest, count] = −s·Gᵀ, scored from captures (the chunk's gradients are never formed).
      const block = tidy(() => Float64Array.from(neg(transpose(scorer.score(batchOf(train, start, count)))).dataSync()));
      for (let i = 0; i < nTest; i++) out.set(block.subarray(i * count, (i + 1) * count), i * n + start);
      onChunk?.(start, block, count);
      bar.tick(count);
    }
  } finally {
    scorer.dispose();
  }
  bar.done();
  return out;
}

/** Step 4: self-influence ∇ℓ(z)ᵀ·H⁻¹·∇ℓ(z) per training point (Koh & Liang §5.4; 004_…'s mislabel detection), chunked. */
export function selfInfluenceScores(infl: InfluenceModel, train: Dataset, chunk: number, bar: Progress = noProgress): { scores: Float64Array; summary: SolveSummary } {
  const n = train.x.shape[0]!;
  const scores = new Float64Array(n);
  const summary: SolveSummary = { method: infl.solver.method, solves: 0, iterations: [], residualNorms: [], converged: true, histories: [], info: [], notConverged: [] };
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const part = tidy(() => {
      const g = infl.gradients(batchOf(train, start, count));
      const { x, stats } = infl.inverseHvp(g);
      summary.solves += stats.solves; summary.iterations.push(...stats.iterations); summary.residualNorms.push(...stats.residualNorms);
      summary.converged &&= stats.converged;
      if (!stats.converged) {
        const norms = Float64Array.from(sum(mul(g, g), 1).dataSync(), Math.sqrt);
        stats.info.forEach((_, k) => summary.notConverged.push({ solve: start, iterations: stats.iterations[k] ?? 0, residualNorm: stats.residualNorms[k] ?? NaN, rhsNorm: norms[k] ?? NaN }));
      }
      return Float64Array.from(sum(mul(g, x), 1).dataSync());
    });
    scores.set(part, start);
    bar.tick(count);
  }
  bar.done();
  return { scores, summary };
}

export interface Ranked { index: number; score: number }

/**
 * Step 5: per test point, the k most helpful training points (most negative I_up,loss: upweighting
 * them lowers the test loss, removing them raises it) and the k most harmful (most positive).
 */
export function topK(scores: Float64Array, nTest: number, nTrain: number, k: number): { helpful: Ranked[]; harmful: Ranked[] }[] {
  const kk = Math.min(k, nTrain);
  return Array.from({ length: nTest }, (_, i) => {
    const row = scores.subarray(i * nTrain, (i + 1) * nTrain);
    const order = Array.from(row.keys()).sort((a, b) => row[a]! - row[b]!);
    const pick = (idx: number[]): Ranked[] => idx.map((j) => ({ index: j, score: row[j]! }));
    return { helpful: pick(order.slice(0, kk)), harmful: pick(order.slice(order.length - kk).reverse()) };
  });
}

/** The k largest |I_up,loss| per test point (the points worth retraining). */
export function mostInfluential(scores: Float64Array, nTest: number, nTrain: number, k: number): number[][] {
  return Array.from({ length: nTest }, (_, i) => {
    const row = scores.subarray(i * nTrain, (i + 1) * nTrain);
    return Array.from(row.keys()).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!)).slice(0, Math.min(k, nTrain));
  });
}

export interface ValidationPair { test: number; train: number; predicted: number; actual: number }
export interface Validation {
  kind: 'loo' | 'pbrf';
  method: string;
  pairs: ValidationPair[];
  pearson: number;
  spearman: number;
  retrained: number;
  maxGradNorm: number;
  /** Retrainings that stopped before their tolerance (‖∇J₋ⱼ‖ > 1e-10 for loo; L-BFGS not converged for pbrf). */
  shortOfTolerance: { train: number; gradNorm: number }[];
  seconds: number;
}

/** The gradient tolerance a leave-one-out retraining must meet (leaveOneOut's L-BFGS default; chord Newton goes to 1e-12). */
export const RETRAIN_GRAD_TOL = 1e-10;

/**
 * Step 6: predicted vs actual change of each test loss when a training point is removed, for the
 * `perTest` most influential points of every test point. Predicted: −I_up,loss/N. Actual:
 * 'loo' retrains without the point (chord Newton with the fitted direct solver when it is exact —
 * hessian exact, no damping — else L-BFGS, src/influence/leave-one-out.ts); 'pbrf' minimises the
 * proximal Bregman response function (Bae et al. 2022; 004_7cb5e77c3e7b1392.txt), which damped
 * Gauss–Newton influence approximates.
 */
export function validate(kind: 'loo' | 'pbrf', infl: InfluenceModel, test: Dataset, scores: Float64Array, perTest: number,
  options: { exactDirect: boolean; damping: number; bar?: Progress }): Validation {
  const t0 = performance.now();
  const { objective, theta } = infl;
  // Retraining (LOO, PBRF) needs the training set in memory, not a chunk source.
  if (!('x' in infl.train)) throw new InputError(`--validate ${kind} needs the training data in memory; it was given as chunks`);
  const train: Dataset = infl.train;
  const nTest = test.x.shape[0]!, n = train.x.shape[0]!;
  const tops = mostInfluential(scores, nTest, n, perTest);
  const removed = [...new Set(tops.flat())].sort((a, b) => a - b);
  const bar = options.bar ?? noProgress;
  const deltas: Float64Array[] = [], gradNorms: number[] = [];
  const shortOfTolerance: { train: number; gradNorm: number }[] = [];
  let method: string;
  for (const j of removed) {
    const r = kind === 'pbrf'
      ? (method = 'pbrf (L-BFGS)', pbrf(objective, theta, train, test, [j], { damping: options.damping }))
      : options.exactDirect
        ? (method = 'chord Newton with the direct factorisation', newtonLeaveOneOut(objective, theta, train, test, [j], infl.solver))
        : (method = 'L-BFGS', leaveOneOut(objective, theta, train, test, [j]));
    deltas.push(r.deltas[0]!); gradNorms.push(r.gradNorms[0]!);
    const ok = 'converged' in r ? (r.converged as boolean[])[0]! : r.gradNorms[0]! <= RETRAIN_GRAD_TOL;
    if (!ok) shortOfTolerance.push({ train: j, gradNorm: r.gradNorms[0]! });
    bar.tick();
  }
  bar.done();
  const where = new Map(removed.map((j, k) => [j, k]));
  const pairs: ValidationPair[] = [];
  tops.forEach((top, i) => top.forEach((j) => pairs.push({ test: i, train: j, predicted: -scores[i * n + j]! / n, actual: deltas[where.get(j)!]![i]! })));
  const pr = pairs.length >= 2 ? pearson(pairs.map((p) => p.predicted), pairs.map((p) => p.actual)) : NaN;
  const sr = pairs.length >= 2 ? spearman(pairs.map((p) => p.predicted), pairs.map((p) => p.actual)) : NaN;
  return {
    kind, method: method!, pairs, pearson: pr, spearman: sr, retrained: removed.length,
    maxGradNorm: Math.max(0, ...gradNorms), shortOfTolerance, seconds: (performance.now() - t0) / 1000,
  };
}

