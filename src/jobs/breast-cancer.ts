import { loadBreastCancer } from '../io/datasets.js';
import { InfluenceModel } from '../influence/exact.js';
import { pearson, spearman } from '../influence/correlation.js';
import { leaveOneOut } from '../influence/leave-one-out.js';
import { bceWithLogitsLoss } from '../nn/losses.js';
import { Objective, subset, type Dataset } from '../nn/objective.js';
import { Sequential } from '../nn/sequential.js';
import { Linear } from '../nn/linear.js';
import { fitLbfgs } from '../nn/train.js';
import { tensor, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';

export interface BreastCancerSplit { train: Dataset; test: Dataset; trainIndex: Int32Array; testIndex: Int32Array }

/**
 * The bundled breast-cancer data (569×30), split 80/20 by a seeded permutation, features
 * standardised with the training split's mean and standard deviation; targets 1 = benign.
 */
export function breastCancerSplit(seed = 0): BreastCancerSplit {
  const bc = loadBreastCancer();
  const [n, d] = bc.x.shape as [number, number];
  const perm = new Random(seed).permutation(n);
  const nTrain = Math.round(0.8 * n);
  const trainIndex = perm.slice(0, nTrain), testIndex = perm.slice(nTrain);
  const x = bc.x.data as Float64Array;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (const i of trainIndex) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / nTrain;
  for (const i of trainIndex) for (let j = 0; j < d; j++) std[j]! += (x[i * d + j]! - mean[j]!) ** 2 / nTrain;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const make = (idx: Int32Array): Dataset => {
    const xs = new Float64Array(idx.length * d), ys = new Float64Array(idx.length);
    idx.forEach((i, r) => {
      for (let j = 0; j < d; j++) xs[r * d + j] = (x[i * d + j]! - mean[j]!) / std[j]!;
      ys[r] = Number(bc.y.data[i]);
    });
    return { x: tensor(xs, [idx.length, d], 'float64'), y: tensor(ys, [idx.length], 'float64') };
  };
  return { train: make(trainIndex), test: make(testIndex), trainIndex, testIndex };
}

export interface BreastCancerRow { test: number; train: number; predicted: number; actual: number }

export interface BreastCancerResult {
  rows: BreastCancerRow[];
  pearson: number;
  spearman: number;
  trainGradNorm: number;
  trainIterations: number;
  testAccuracy: number;
  retrainMaxGradNorm: number;
  seconds: { train: number; influence: number; retrain: number };
  factorization: string;
}

/**
 * The main job: L2-regularised logistic regression (λ = 0.01) on breast cancer, exact influence
 * by the direct solver, and actual leave-one-out retraining of the `topK` most influential
 * training points of `numTest` test points (the reference tutorial's validation protocol).
 * Predicted change of test loss when z is removed: −I_up,loss(z, z_test)/N = ∇ℓ_testᵀH⁻¹∇ℓ(z)/N.
 */
export function runBreastCancer(options: { numTest?: number; topK?: number; onProgress?: (msg: string) => void } = {}): BreastCancerResult {
  const numTest = options.numTest ?? 5, topK = options.topK ?? 30;
  const say = options.onProgress ?? (() => {});
  return tidy(() => {
    const { train, test } = breastCancerSplit();
    const model = new Sequential([new Linear(30, 1)]);
    const objective = new Objective(model, bceWithLogitsLoss, 0.01);
    let t0 = performance.now();
    const { theta, result } = fitLbfgs(objective, model.init({ dtype: 'float64' }), train, { gradTol: 1e-10 });
    const trainSeconds = (performance.now() - t0) / 1000;
    say(`trained: ‖∇J‖ = ${result.gradNorm.toExponential(2)} after ${result.iterations} L-BFGS iterations`);
    const testLoss = objective.perSampleLosses(theta, test).dataSync();
    const logits = model.apply(theta, test.x).dataSync(), labels = test.y.dataSync();
    let correct = 0;
    for (let i = 0; i < labels.length; i++) correct += Number((logits[i]! > 0 ? 1 : 0) === labels[i]);
    // Like the reference tutorial (which takes a misclassified test point), use the test points
    // with the highest loss: the misclassified ones first.
    const chosen = Array.from(testLoss.keys()).sort((a, b) => testLoss[b]! - testLoss[a]!).slice(0, numTest);

    t0 = performance.now();
    const infl = InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
    const testSet = subset(test, chosen);
    const { scores, stats } = infl.influence(testSet);
    const influenceSeconds = (performance.now() - t0) / 1000;
    const s = scores.dataSync(), nTrain = train.x.shape[0]!;

    t0 = performance.now();
    const rows: BreastCancerRow[] = [];
    let retrainMaxGradNorm = 0;
    chosen.forEach((testIdx, i) => {
      const row = s.subarray(i * nTrain, (i + 1) * nTrain);
      const top = Array.from(row.keys()).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!)).slice(0, topK);
      const loo = leaveOneOut(objective, theta, train, subset(test, [testIdx]), top);
      retrainMaxGradNorm = Math.max(retrainMaxGradNorm, ...loo.gradNorms);
      top.forEach((j, k) => rows.push({ test: testIdx, train: j, predicted: -row[j]! / nTrain, actual: loo.deltas[k]![0]! }));
      say(`test point ${testIdx}: retrained ${top.length} leave-one-out models`);
    });
    const retrainSeconds = (performance.now() - t0) / 1000;
    infl.dispose();
    const predicted = rows.map((r) => r.predicted), actual = rows.map((r) => r.actual);
    return {
      rows,
      pearson: pearson(predicted, actual),
      spearman: spearman(predicted, actual),
      trainGradNorm: result.gradNorm,
      trainIterations: result.iterations,
      testAccuracy: correct / labels.length,
      retrainMaxGradNorm,
      seconds: { train: trainSeconds, influence: influenceSeconds, retrain: retrainSeconds },
      factorization: String(stats.info[0]?.['factorization'] ?? 'n/a'),
    };
  });
}

