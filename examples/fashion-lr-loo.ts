import { InputError } from '../src/errors.js';
import { InfluenceModel } from '../src/influence/exact.js';
import { pearson, spearman } from '../src/influence/correlation.js';
import { leaveOneOut } from '../src/influence/leave-one-out.js';
import { crossEntropyLoss } from '../src/nn/losses.js';
import { batchOf, Objective, subset, type Dataset } from '../src/nn/objective.js';
import { hessianOperator } from '../src/operators/curvature.js';
import type { FittedSolver } from '../src/solvers/types.js';
import { Random } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { softmaxRegressionHessian } from '../src/operators/softmax-hessian.js';
import { Sequential } from '../src/nn/sequential.js';
import { fitLbfgs } from '../src/nn/train.js';
import type { SolverName } from '../src/solvers/registry.js';
import { keep, matmul, tensor, tidy, transpose } from '../src/tensor/index.js';
import { fashionData } from '../src/cli/data-args.js';
import { chordNewton, fitCholesky, newtonLeaveOneOut } from '../src/influence/newton-retrain.js';

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

  // Direct: the closed-form Hessian (checked against Hessian-vector products), factored once; θ̂ is
  // polished by chord Newton with it so ∇J(θ̂) is at round-off, then H is rebuilt at θ̂.
  t0 = performance.now();
  const p = model.numParams;
  let direct = fitCholesky(softmaxRegressionHessian(model, theta, train, objective.weightDecay), p);
  const t = Float64Array.from(theta.dataSync());
  const polish = chordNewton((v) => tidy(() => objective.fullValueAndGrad(tensor(v, [p], 'float64'), train).grad), t, direct, 'float64', 1e-12, 10);
  theta.dispose();
  theta = tensor(t, [p], 'float64');
  say(`polished θ̂ by chord Newton: ‖∇J‖ = ${polish.gradNorm.toExponential(2)} after ${polish.iterations} steps`);
  const hessian = softmaxRegressionHessian(model, theta, train, objective.weightDecay);
  const hvpCheck = checkAgainstHvp(objective, theta, train, hessian);
  direct.dispose();
  direct = fitCholesky(hessian, p);
  const directFitSeconds = (performance.now() - t0) / 1000;
  say(`closed-form Hessian + Cholesky (${directFitSeconds.toFixed(1)} s); vs HVPs: relative error ${hvpCheck.toExponential(2)}`);
  const losses = tidy(() => objective.perSampleLosses(theta, test).dataSync());
  const chosen = Array.from(losses.keys()).sort((a, b) => losses[b]! - losses[a]!).slice(0, numTest);
  const testSet = subset(test, chosen);

  const solverStats: FashionLrLooResult['solverStats'] = {};
  const predictions: Record<string, Float64Array> = {};
  const models: InfluenceModel[] = [];
  try {
    for (const name of solvers) {
      t0 = performance.now();
      let s: Float64Array;
      if (name === 'direct') {
        s = scoresWith(objective, theta, train, testSet, direct);
        solverStats[name] = { iterations: [0], residualNorms: [], converged: true, fitSeconds: directFitSeconds, scoreSeconds: (performance.now() - t0) / 1000 };
      } else {
        const infl = InfluenceModel.fit(objective, theta, train, { solver: name, solverOptions: { rtol, atol: 0 } });
        models.push(infl);
        const tFit = performance.now();
        const { scores, stats } = infl.influence(testSet);
        s = Float64Array.from(scores.dataSync());
        scores.dispose();
        solverStats[name] = {
          iterations: (stats.info[0]?.['perColumn'] as { iterations: number }[] | undefined)?.map((c) => c.iterations) ?? stats.iterations,
          residualNorms: stats.residualNorms, converged: stats.converged,
          fitSeconds: (tFit - t0) / 1000, scoreSeconds: (performance.now() - tFit) / 1000,
        };
      }
      for (let i = 0; i < s.length; i++) s[i] = -s[i]! / n;
      predictions[name] = s;
      const st = solverStats[name]!;
      say(`${name}: influence of ${n} training points on ${chosen.length} test points (fit ${st.fitSeconds.toFixed(1)} s, scores ${st.scoreSeconds.toFixed(1)} s, iterations ${st.iterations.join('/')}, converged ${st.converged})`);
    }
    const retrainSolver = direct;

    // The topK most influential points of each test point, by the first solver's |prediction|.
    const ref = predictions[solvers[0]!]!;
    const tops = chosen.map((_, i) => {
      const row = ref.subarray(i * n, (i + 1) * n);
      return Array.from(row.keys()).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!)).slice(0, Math.min(topK, n));
    });
    const removed = [...new Set(tops.flat())].sort((a, b) => a - b);
    say(`retraining without each of ${removed.length} training points (chord Newton with the Cholesky factor of H)…`);
    t0 = performance.now();
    const loo = newtonLeaveOneOut(objective, theta, train, testSet, removed, retrainSolver, {
      gradTol: 1e-12, onPoint: (k) => { if (k % 50 === 0) say(`  ${k}/${removed.length} retrained`); },
    });
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
    direct.dispose();
  }
}

/** I_up,loss [nTest, nTrain] = −(H⁻¹∇ℓ_test)ᵀ∇ℓ_train with a fitted solver, training gradients in chunks. */
export function scoresWith(objective: Objective, theta: Tensor, train: Dataset, test: Dataset, solver: FittedSolver, chunk = 1024): Float64Array {
  const n = train.x.shape[0]!, m = test.x.shape[0]!;
  const out = new Float64Array(m * n);
  const sT = tidy(() => {
    const r = solver.solve(transpose(objective.perSampleGradients(theta, test)));
    return keep(r.x);
  });
  try {
    for (let start = 0; start < n; start += chunk) {
      const c = Math.min(chunk, n - start);
      const block = tidy(() => matmul(objective.perSampleGradients(theta, batchOf(train, start, c)), sT).dataSync());
      for (let j = 0; j < c; j++) for (let i = 0; i < m; i++) out[i * n + start + j] = -block[j * m + i]!;
    }
  } finally {
    sT.dispose();
  }
  return out;
}

/** max over two random v of ‖H·v − HVP(v)‖/‖HVP(v)‖: the closed form against autodiff. */
function checkAgainstHvp(objective: Objective, theta: Tensor, train: Dataset, h: Float64Array): number {
  const p = theta.size, op = hessianOperator(objective, theta, train);
  const rng = new Random(1);
  let worst = 0;
  for (let r = 0; r < 2; r++) {
    const v = Float64Array.from({ length: p }, () => rng.normal());
    const ref = tidy(() => op.matvec(tensor(v, [p], 'float64')).dataSync());
    let num = 0, den = 0;
    for (let i = 0; i < p; i++) {
      let hv = 0;
      for (let j = 0; j < p; j++) hv += h[i * p + j]! * v[j]!;
      num += (hv - ref[i]!) ** 2; den += ref[i]! ** 2;
    }
    worst = Math.max(worst, Math.sqrt(num / den));
  }
  return worst;
}

function accuracy(model: Sequential, theta: Tensor, data: Dataset): number {
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
