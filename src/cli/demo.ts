import { compareWithLeaveOneOut, type LooComparisonRow } from '../influence/loo-comparison.js';
import { bceWithLogitsLoss } from '../nn/losses.js';
import { Objective } from '../nn/objective.js';
import { Sequential } from '../nn/sequential.js';
import { Linear } from '../nn/layers/linear.js';
import { fitLbfgs } from '../nn/train.js';
import { tidy } from '../tensor/index.js';
import { breastCancerSplit } from './data-args.js';

export type BreastCancerRow = LooComparisonRow;

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
 * The demo's computation: L2-regularised logistic regression (λ = 0.01) on the bundled breast-cancer
 * split, trained by L-BFGS, then compareWithLeaveOneOut (exact influence by the direct solver vs
 * actual leave-one-out retraining of the `topK` most influential training points of the `numTest`
 * highest-loss test points).
 */
export function runBreastCancer(options: { numTest?: number; topK?: number; onProgress?: (msg: string) => void } = {}): BreastCancerResult {
  const say = options.onProgress ?? (() => {});
  return tidy(() => {
    const { train, test } = breastCancerSplit();
    const model = new Sequential([new Linear(30, 1)]);
    const objective = new Objective(model, bceWithLogitsLoss, 0.01);
    const t0 = performance.now();
    const { theta, result } = fitLbfgs(objective, model.init({ dtype: 'float64' }), train, { gradTol: 1e-10 });
    const trainSeconds = (performance.now() - t0) / 1000;
    say(`trained: ‖∇J‖ = ${result.gradNorm.toExponential(2)} after ${result.iterations} L-BFGS iterations`);
    const logits = model.apply(theta, test.x).dataSync(), labels = test.y.dataSync();
    let correct = 0;
    for (let i = 0; i < labels.length; i++) correct += Number((logits[i]! > 0 ? 1 : 0) === labels[i]);
    const c = compareWithLeaveOneOut(objective, theta, train, test, {
      numTest: options.numTest ?? 5, topK: options.topK ?? 30, influence: { solver: 'direct' }, onProgress: say,
    });
    return {
      rows: c.rows, pearson: c.pearson, spearman: c.spearman,
      trainGradNorm: result.gradNorm,
      trainIterations: result.iterations,
      testAccuracy: correct / labels.length,
      retrainMaxGradNorm: c.retrainMaxGradNorm,
      seconds: { train: trainSeconds, ...c.seconds },
      factorization: c.factorization,
    };
  });
}

const fmt = (v: number): string => (v >= 0 ? ' ' : '') + v.toExponential(3);

/** `curvature demo` (npm start): influence functions vs leave-one-out retraining on breast cancer, as a readable report. */
export function demoCommand(): void {
  console.log('curvature demo: influence functions vs leave-one-out retraining');
  console.log('Breast Cancer Wisconsin (569×30, bundled), logistic regression, L2 0.01, standardised, 80/20 split\n');
  const r = runBreastCancer({ onProgress: (m) => console.log(`  ${m}`) });
  console.log(`\ntest accuracy ${(100 * r.testAccuracy).toFixed(1)}%, Hessian factorisation: ${r.factorization}\n`);
  console.log('test  train   predicted Δloss   actual Δloss (retrained)');
  let lastTest = -1;
  for (const row of r.rows) {
    if (row.test !== lastTest && lastTest !== -1) console.log('');
    lastTest = row.test;
    console.log(`${String(row.test).padStart(4)}  ${String(row.train).padStart(5)}   ${fmt(row.predicted).padStart(15)}   ${fmt(row.actual).padStart(15)}`);
  }
  console.log(`\n${r.rows.length} leave-one-out retrainings (5 test points × 30 most influential training points)`);
  console.log(`Pearson  r   = ${r.pearson.toFixed(4)}`);
  console.log(`Spearman rho = ${r.spearman.toFixed(4)}`);
  console.log(`timings: train ${r.seconds.train.toFixed(2)} s, influence ${r.seconds.influence.toFixed(2)} s, retraining ${r.seconds.retrain.toFixed(2)} s`);
  console.log(`L-BFGS: ‖∇J‖ = ${r.trainGradNorm.toExponential(2)} (${r.trainIterations} iterations); retrained models ‖∇J‖ ≤ ${r.retrainMaxGradNorm.toExponential(2)}`);
}
