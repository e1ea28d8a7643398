import { InputError } from '../src/errors.js';
import { crossEntropyLoss } from '../src/nn/losses.js';
import { batchOf, Objective, type Dataset } from '../src/nn/objective.js';
import { Sequential } from '../src/nn/sequential.js';
import { fitLbfgs } from '../src/nn/train.js';
import { mul, sum, tensor, tidy, transpose } from '../src/tensor/index.js';
import { Random } from '../src/tensor/random.js';
import { fashionData } from '../src/cli/data-args.js';
import { fitCholesky } from '../src/influence/newton-retrain.js';
import { softmaxRegressionHessian } from '../src/operators/softmax-hessian.js';

export interface MislabelOptions {
  trainLimit?: number;
  pool?: number;
  /** Fraction of labels flipped. Default 0.1. */
  flipFraction?: number;
  weightDecay?: number;
  seed?: number;
  dir?: string;
  onProgress?: (msg: string) => void;
}

export interface MislabelResult {
  n: number; flipped: number; parameters: number;
  /** Fraction of flipped labels found after inspecting the top fraction f of each ranking, f = 0, 1/n, …, 1. */
  curves: { selfInfluence: Float64Array; loss: Float64Array; random: Float64Array };
  /** Found after inspecting 20% (the acceptance figure: ≥ 0.8 for self-influence). */
  at20: { selfInfluence: number; loss: number; random: number };
  seconds: { train: number; hessian: number; selfInfluence: number };
}

/** Fraction of `flagged` found among the first k of `order`, for k = 0..n. */
export function detectionCurve(order: ArrayLike<number>, flagged: Set<number>): Float64Array {
  const out = new Float64Array(order.length + 1);
  let found = 0;
  for (let k = 0; k < order.length; k++) {
    if (flagged.has(order[k]!)) found++;
    out[k + 1] = found / Math.max(1, flagged.size);
  }
  return out;
}

/**
 * Mislabelled-example detection by self-influence (Koh & Liang 2017 §5.4; 004_7cb5e77c3e7b1392.txt):
 * flip a fraction of the training labels to a different random class, train L2-regularised
 * logistic regression, rank training points by self-influence ∇ℓ(z)ᵀH⁻¹∇ℓ(z) (H: the exact
 * closed-form Hessian, factored once) and count the flipped labels found after inspecting each
 * fraction of the ranking; baselines: ranking by training loss, and a random order.
 */
export function runMislabel(options: MislabelOptions = {}): MislabelResult {
  const say = options.onProgress ?? (() => {});
  const flipFraction = options.flipFraction ?? 0.1;
  if (!(flipFraction > 0 && flipFraction < 1)) throw new InputError(`mislabel: flipFraction must be in (0, 1), got ${flipFraction}`);
  const fd = fashionData({ split: 'train', pool: options.pool ?? 1, ...(options.dir ? { dir: options.dir } : {}), ...(options.trainLimit ? { limit: options.trainLimit } : {}) });
  const n = fd.labels.length, rng = new Random(options.seed ?? 0);
  const flippedIdx = rng.permutation(n).slice(0, Math.round(flipFraction * n));
  const labels = fd.labels.slice();
  for (const i of flippedIdx) labels[i] = (labels[i]! + 1 + rng.int(9)) % 10;
  const train: Dataset = { x: fd.data.x, y: tensor(labels, [n], 'int32') };
  const model = Sequential.mlp([fd.data.x.shape[1]!, 10]);
  const objective = new Objective(model, crossEntropyLoss, options.weightDecay ?? 0.01);
  let t0 = performance.now();
  const { theta, result } = fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train, { gradTol: 1e-8, maxIter: 3000 });
  const trainSeconds = (performance.now() - t0) / 1000;
  say(`trained on ${n} points (${flippedIdx.length} labels flipped): ‖∇J‖ = ${result.gradNorm.toExponential(2)}, ${result.iterations} L-BFGS iterations, ${trainSeconds.toFixed(1)} s`);
  t0 = performance.now();
  const solver = fitCholesky(softmaxRegressionHessian(model, theta, train, objective.weightDecay), model.numParams);
  const hessianSeconds = (performance.now() - t0) / 1000;
  say(`closed-form Hessian and Cholesky: ${hessianSeconds.toFixed(1)} s`);
  t0 = performance.now();
  const self = new Float64Array(n);
  try {
    for (let start = 0; start < n; start += 512) {
      tidy(() => {
        const g = objective.perSampleGradients(theta, batchOf(train, start, 512));
        const x = solver.solve(transpose(g)).x;
        self.set(sum(mul(g, transpose(x)), 1).dataSync(), start);
      });
    }
  } finally {
    solver.dispose();
  }
  const selfSeconds = (performance.now() - t0) / 1000;
  say(`self-influence of ${n} points: ${selfSeconds.toFixed(1)} s`);
  const loss = tidy(() => objective.perSampleLosses(theta, train).dataSync());
  const flagged = new Set(flippedIdx);
  const byDesc = (v: ArrayLike<number>) => Array.from({ length: n }, (_, i) => i).sort((a, b) => v[b]! - v[a]!);
  const curves = {
    selfInfluence: detectionCurve(byDesc(self), flagged),
    loss: detectionCurve(byDesc(loss), flagged),
    random: detectionCurve(new Random((options.seed ?? 0) + 1).permutation(n), flagged),
  };
  const k20 = Math.round(0.2 * n);
  return {
    n, flipped: flippedIdx.length, parameters: model.numParams, curves,
    at20: { selfInfluence: curves.selfInfluence[k20]!, loss: curves.loss[k20]!, random: curves.random[k20]! },
    seconds: { train: trainSeconds, hessian: hessianSeconds, selfInfluence: selfSeconds },
  };
}
