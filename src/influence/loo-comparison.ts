import type { Dataset, Objective } from '../nn/objective.js';
import { subset } from '../nn/objective.js';
import { tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { pearson, spearman } from './correlation.js';
import { InfluenceModel, type InfluenceOptions } from './exact.js';
import { leaveOneOut } from './leave-one-out.js';

export interface LooComparisonOptions {
  /** How many test points: the ones with the highest loss (the misclassified ones first). Default 5. */
  numTest?: number;
  /** Training points retrained per test point: its `topK` most influential. Default 30. */
  topK?: number;
  /** How the influence model is fitted. Default { solver: 'direct' }. */
  influence?: InfluenceOptions;
  onProgress?: (msg: string) => void;
}

/** One retrained pair: test point, removed training point, predicted and actual change of the test loss. */
export interface LooComparisonRow { test: number; train: number; predicted: number; actual: number }

export interface LooComparison {
  rows: LooComparisonRow[];
  pearson: number;
  spearman: number;
  /** Largest ‖∇J₋ⱼ‖ of the retrained models (how exactly leave-one-out was solved). */
  retrainMaxGradNorm: number;
  seconds: { influence: number; retrain: number };
  /** The fitted solver's `info.factorization` ('cholesky' / 'eigh' for the direct solver), 'n/a' otherwise. */
  factorization: string;
}

/**
 * Influence functions against actual leave-one-out retraining (Koh & Liang 2017 §2.2's validation
 * protocol): influence of every training point on the `numTest` highest-loss test points, then
 * retraining (L-BFGS from θ̂, src/influence leaveOneOut) without each test point's `topK` most
 * influential training points. Predicted change of test loss when z is removed:
 * −I_up,loss(z, z_test)/N = ∇ℓ_testᵀH⁻¹∇ℓ(z)/N. `theta` should be a minimiser of the objective.
 */
export function compareWithLeaveOneOut(objective: Objective, theta: Tensor, train: Dataset, test: Dataset, options: LooComparisonOptions = {}): LooComparison {
  const numTest = options.numTest ?? 5, topK = options.topK ?? 30;
  const say = options.onProgress ?? (() => {});
  return tidy(() => {
    const testLoss = objective.perSampleLosses(theta, test).dataSync();
    const chosen = Array.from(testLoss.keys()).sort((a, b) => testLoss[b]! - testLoss[a]!).slice(0, numTest);

    let t0 = performance.now();
    const infl = InfluenceModel.fit(objective, theta, train, options.influence ?? { solver: 'direct' });
    const { scores, stats } = infl.influence(subset(test, chosen));
    const influenceSeconds = (performance.now() - t0) / 1000;
    const s = scores.dataSync(), nTrain = train.x.shape[0]!;

    t0 = performance.now();
    const rows: LooComparisonRow[] = [];
    let retrainMaxGradNorm = 0;
    try {
      chosen.forEach((testIdx, i) => {
        const row = s.subarray(i * nTrain, (i + 1) * nTrain);
        const top = Array.from(row.keys()).sort((a, b) => Math.abs(row[b]!) - Math.abs(row[a]!)).slice(0, topK);
        const loo = leaveOneOut(objective, theta, train, subset(test, [testIdx]), top);
        retrainMaxGradNorm = Math.max(retrainMaxGradNorm, ...loo.gradNorms);
        top.forEach((j, k) => rows.push({ test: testIdx, train: j, predicted: -row[j]! / nTrain, actual: loo.deltas[k]![0]! }));
        say(`test point ${testIdx}: retrained ${top.length} leave-one-out models`);
      });
    } finally {
      infl.dispose();
    }
    const retrainSeconds = (performance.now() - t0) / 1000;
    const predicted = rows.map((r) => r.predicted), actual = rows.map((r) => r.actual);
    return {
      rows,
      pearson: pearson(predicted, actual),
      spearman: spearman(predicted, actual),
      retrainMaxGradNorm,
      seconds: { influence: influenceSeconds, retrain: retrainSeconds },
      factorization: String(stats.info[0]?.['factorization'] ?? 'n/a'),
    };
  });
}
