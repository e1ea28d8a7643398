import { InputError } from '../errors.js';
import { InfluenceModel } from '../influence/exact.js';
import { pearson, spearman } from '../influence/correlation.js';
import { leaveOneOut } from '../influence/leave-one-out.js';
import { crossEntropyLoss } from '../nn/losses.js';
import { Objective, subset } from '../nn/objective.js';
import { Sequential } from '../nn/sequential.js';
import { fitLbfgs } from '../nn/train.js';
import type { SolverName } from '../solvers/registry.js';
import { tensor, tidy } from '../tensor/index.js';
import { fashionData } from './fashion-data.js';
import { chordNewton, newtonLeaveOneOut } from './newton-retrain.js';

export interface FashionLrLooOptions {
  /** Full-set directory (Debian's /usr/share/datasets/fashion-mnist) or undefined for the bundled subset. */
  dir?: string;
  trainLimit?: number;
  testLimit?: number;
  /** k×k average pooling of the images (1: 784 features, 7,850 parameters). */
  pool?: number;
  weightDecay?: number;
  numTest?: number;
  topK?: number;
  /** Solvers whose predictions are compared with retraining; the first picks the points retrained. */
  solvers?: SolverName[];
  /** rtol of iterative solvers. Default 1e-10. */
  rtol?: number;
  /** Points also retrained by L-BFGS from scratch (src/influence leaveOneOut) to cross-check the chord-Newton retraining. */
  lbfgsCheck?: number;
  onProgress?: (msg: string) => void;
}

export interface LooPair { test: number; train: number; predicted: Record<string, number>; actual: number }

export interface FashionLrLooResult {
  nTrain: number; nTest: number; parameters: number; source: string;
  trainGradNorm: number; testAccuracy: number;
  pairs: LooPair[];
  pearson: Record<string, number>; spearman: Record<string, number>;
  solverStats: Record<string, { iterations: number[]; residualNorms: number[]; converged: boolean; fitSeconds: number; scoreSeconds: number }>;
  retrain: { points: number; maxGradNorm: number; meanIterations: number; seconds: number; lbfgsMaxAbsDiff: number | null; lbfgsMaxRelDiff: number | null };
  seconds: { load: number; train: number };
}

/**
 * The reference tutorial's validation protocol (Koh & Liang 2017 §5.1; 002_7d5b2182e0d2bf0b.txt) on
 * 10-class Fashion-MNIST: L2-regularised multinomial logistic regression (λ = 0.01 by default),
 * influence of every training point on the `numTest` highest-loss test points, then actual
 * leave-one-out retraining of each test point's `topK` most influential training points.
 * Predicted change of test loss when z_j is removed: −I_up,loss(z_j, z_test)/N.
 */
export function runFashionLrLoo(options: FashionLrLooOptions = {}): FashionLrLooResult {
  const say = options.onProgress ?? (() => {});
  const solvers = options.solvers ?? ['direct', 'cg'];
  if (solvers.length === 0) throw new InputError('fashion-lr-loo: expected at least one solver');
  const numTest = options.numTest ?? 5, topK = options.topK ?? 100, rtol = options.rtol ?? 1e-10;
  let t0 = performance.now();
  const pool = options.pool ?? 1;
  const trainData = fashionData({ split: 'train', pool, ...(options.dir ? { dir: options.dir } : {}), ...(options.trainLimit ? { limit: options.trainLimit } : {}) });
  const testData = fashionData({ split: 'test', pool, ...(options.dir ? { dir: options.dir } : {}), ...(options.testLimit ? { limit: options.testLimit } : {}) });
  const train = trainData.data, test = testData.data;
  const n = train.x.shape[0]!, d = train.x.shape[1]!;
  const loadSeconds = (performance.now() - t0) / 1000;
  say(`data: ${n} training and ${test.x.shape[0]} test images from ${trainData.source}, ${d} features`);

  const model = Sequential.mlp([d, 10]);
  const objective = new Objective(model, crossEntropyLoss, options.weightDecay ?? 0.01);
  t0 = performance.now();
  const fit = fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train, { gradTol: 1e-9, maxIter: 5000 });
  let theta = fit.theta;
  say(`trained by L-BFGS: ‖∇J‖ = ${fit.result.gradNorm.toExponential(2)} after ${fit.result.iterations} iterations (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const trainSeconds = (performance.now() - t0) / 1000;

  const solverStats: FashionLrLooResult['solverStats'] = {};
  const predictions: Record<string, Float64Array> = {};
  let chosen: number[] = [];
  let retrainModel: InfluenceModel | null = null;
  const models: InfluenceModel[] = [];
  try {
    for (const [si, name] of solvers.entries()) {
      t0 = performance.now();
      const infl = InfluenceModel.fit(objective, theta, train, { solver: name, solverOptions: { rtol, atol: 0 } });
      models.push(infl);
      if (si === 0) {
        // Polish θ̂ with the fitted curvature (chord Newton on J) so ∇J(θ̂) is at round-off, then refit.
        const t = Float64Array.from(theta.dataSync());
        const polish = chordNewton((v) => tidy(() => objective.fullValueAndGrad(tensor(v, [v.length], 'float64'), train).grad), t, infl.solver, 'float64', 1e-12, 10);
        say(`polished θ̂ by chord Newton: ‖∇J‖ = ${polish.gradNorm.toExponential(2)} after ${polish.iterations} steps`);
        theta.dispose();
        theta = tensor(t, [t.length], 'float64');
        infl.dispose(); models.pop();
        const refit = InfluenceModel.fit(objective, theta, train, { solver: name, solverOptions: { rtol, atol: 0 } });
        models.push(refit);
        const losses = tidy(() => objective.perSampleLosses(theta, test).dataSync());
        chosen = Array.from(losses.keys()).sort((a, b) => losses[b]! - losses[a]!).slice(0, numTest);
      }
      const current = models[models.length - 1]!;
      const tFit = performance.now();
      const { scores, stats } = current.influence(subset(test, chosen));
      const s = Float64Array.from(scores.dataSync());
      scores.dispose();
      for (let i = 0; i < s.length; i++) s[i] = -s[i]! / n;
      predictions[name] = s;
      solverStats[name] = {
        iterations: stats.iterations, residualNorms: stats.residualNorms, converged: stats.converged,
        fitSeconds: (tFit - t0) / 1000, scoreSeconds: (performance.now() - tFit) / 1000,
      };
      say(`${name}: influence of ${n} training points on ${chosen.length} test points (fit ${solverStats[name]!.fitSeconds.toFixed(1)} s, scores ${solverStats[name]!.scoreSeconds.toFixed(1)} s, iterations ${stats.iterations.join('/')}, converged ${stats.converged})`);
      if (name === 'direct' || retrainModel === null) retrainModel = current;
    }

    // The topK most influential points of each test point, by the first solver's |prediction|.
    const ref = predictions[solvers[0]!]!;
    const tops = chosen.map((_, i) => {
      const row = ref.subarray(i * n, (i + 1) * n);
      return Array.from(row.keys()).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!)).slice(0, Math.min(topK, n));
    });
    const removed = [...new Set(tops.flat())].sort((a, b) => a - b);
    say(`retraining without each of ${removed.length} training points (chord Newton with the ${retrainModel!.solver.method} solver)…`);
    t0 = performance.now();
    const testSet = subset(test, chosen);
    const loo = newtonLeaveOneOut(objective, theta, train, testSet, removed, retrainModel!.solver, { gradTol: 1e-12 });
    const retrainSeconds = (performance.now() - t0) / 1000;
    const where = new Map(removed.map((j, k) => [j, k]));
    const pairs: LooPair[] = [];
    tops.forEach((top, i) => top.forEach((j) => {
      const predicted: Record<string, number> = {};
      for (const name of solvers) predicted[name] = predictions[name]![i * n + j]!;
      pairs.push({ test: chosen[i]!, train: j, predicted, actual: loo.deltas[where.get(j)!]![i]! });
    }));

    let lbfgsMaxAbsDiff: number | null = null, lbfgsMaxRelDiff: number | null = null;
    const nCheck = Math.min(options.lbfgsCheck ?? 0, removed.length);
    if (nCheck > 0) {
      const check = removed.slice(0, nCheck);
      const slow = leaveOneOut(objective, theta, train, testSet, check, { gradTol: 1e-10, maxIter: 2000 });
      lbfgsMaxAbsDiff = 0; lbfgsMaxRelDiff = 0;
      check.forEach((j, k) => {
        const fast = loo.deltas[where.get(j)!]!, other = slow.deltas[k]!;
        for (let i = 0; i < fast.length; i++) {
          const diff = Math.abs(fast[i]! - other[i]!);
          lbfgsMaxAbsDiff = Math.max(lbfgsMaxAbsDiff!, diff);
          lbfgsMaxRelDiff = Math.max(lbfgsMaxRelDiff!, diff / Math.max(Math.abs(other[i]!), 1e-300));
        }
      });
      say(`cross-check: ${nCheck} points retrained by L-BFGS agree to ${lbfgsMaxAbsDiff!.toExponential(2)} (max abs)`);
    }

    const actual = pairs.map((p) => p.actual);
    const result: FashionLrLooResult = {
      nTrain: n, nTest: test.x.shape[0]!, parameters: model.numParams, source: trainData.source,
      trainGradNorm: 0, testAccuracy: accuracy(model, theta, test),
      pairs,
      pearson: Object.fromEntries(solvers.map((s) => [s, pearson(pairs.map((p) => p.predicted[s]!), actual)])),
      spearman: Object.fromEntries(solvers.map((s) => [s, spearman(pairs.map((p) => p.predicted[s]!), actual)])),
      solverStats,
      retrain: {
        points: removed.length, maxGradNorm: Math.max(...loo.gradNorms),
        meanIterations: loo.iterations.reduce((a, b) => a + b, 0) / loo.iterations.length, seconds: retrainSeconds,
        lbfgsMaxAbsDiff, lbfgsMaxRelDiff,
      },
      seconds: { load: loadSeconds, train: trainSeconds },
    };
    result.trainGradNorm = tidy(() => {
      const g = objective.fullValueAndGrad(theta, train).grad;
      let s = 0; for (const v of g) s += v * v;
      return Math.sqrt(s);
    });
    return result;
  } finally {
    for (const m of models) m.dispose();
  }
}

function accuracy(model: Sequential, theta: import('../tensor/tensor.js').Tensor, data: import('../nn/objective.js').Dataset): number {
  return tidy(() => {
    const z = model.apply(theta, data.x).dataSync(), y = data.y.dataSync();
    const k = model.outFeatures, n = y.length;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + best]!) best = c;
      correct += Number(best === y[i]);
    }
    return correct / n;
  });
}
