import { crossEntropyLoss } from '../src/nn/losses.js';
import { Objective, type Dataset } from '../src/nn/objective.js';
import { Sequential } from '../src/nn/sequential.js';
import { fitLbfgs } from '../src/nn/train.js';
import { tensor, tidy, transpose, matmul } from '../src/tensor/index.js';
import { fashionData } from '../src/cli/data-args.js';
import { fitCholesky } from '../src/influence/newton-retrain.js';
import { softmaxRegressionHessian } from '../src/operators/softmax-hessian.js';

export interface SimilarityOptions {
  trainLimit?: number;
  pool?: number;
  /** λ of (H + λI). Default 0.1. */
  damping?: number;
  weightDecay?: number;
  /** Pixels each "paraphrase" is shifted right. Default 2. */
  shift?: number;
}

export interface SimilarityResult {
  /** 20×20 row-major: originals 0..9 then their shifted copies. */
  influence: Float64Array;
  gradient: Float64Array;
  labels: string[];
  /** Mean similarity of (original i, copy i) pairs and of unrelated pairs (different items). */
  matched: { influence: number; gradient: number };
  unrelated: { influence: number; gradient: number };
  /** Mean |similarity| of unrelated pairs: how far from "orthogonal" unrelated items look. */
  unrelatedAbs: { influence: number; gradient: number };
  /** Mean of gradient − influence similarity over unrelated pairs (> 0: the paper's observation). */
  unrelatedGap: number;
}

/**
 * 003_60d87249c94aba45.txt §5 ("What is the role of inverted Hessian?") on images: ten test
 * images, one per class ("originals"), and the same images shifted by a few pixels
 * ("paraphrases"). For each pair (z, z′) of the twenty:
 *   gradient similarity  = ∇ℓ(z)ᵀ∇ℓ(z′) / (‖∇ℓ(z)‖·‖∇ℓ(z′)‖)
 *   influence similarity = ∇ℓ(z)ᵀ(H + λ)⁻¹∇ℓ(z′) / √(∇ℓ(z)ᵀ(H + λ)⁻¹∇ℓ(z) · ∇ℓ(z′)ᵀ(H + λ)⁻¹∇ℓ(z′))
 * with H the Hessian of L2-regularised logistic regression (= its Gauss–Newton Hessian). The paper's
 * claim: (H + λ)⁻¹ removes the dominant, shared directions, so unrelated pairs look less similar
 * under influence similarity than under gradient similarity, and matched pairs stand out more.
 */
export function runSimilarity(options: SimilarityOptions = {}): SimilarityResult {
  const pool = options.pool ?? 1, shift = options.shift ?? 2;
  const train = fashionData({ split: 'train', pool, ...(options.trainLimit ? { limit: options.trainLimit } : {}) });
  const test = fashionData({ split: 'test', pool });
  const side = train.side, d = side * side;
  const model = Sequential.mlp([d, 10]);
  const objective = new Objective(model, crossEntropyLoss, options.weightDecay ?? 0.01);
  const { theta } = fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train.data, { gradTol: 1e-8, maxIter: 3000 });
  const picks: number[] = [];
  for (let c = 0; c < 10; c++) picks.push(test.labels.indexOf(c));
  const tx = test.data.x.dataSync();
  const x = new Float64Array(20 * d), y = new Int32Array(20);
  picks.forEach((idx, c) => {
    for (let r = 0; r < side; r++) {
      for (let col = 0; col < side; col++) {
        x[c * d + r * side + col] = tx[idx * d + r * side + col]!;
        x[(10 + c) * d + r * side + col] = col - shift >= 0 ? tx[idx * d + r * side + col - shift]! : 0;
      }
    }
    y[c] = c; y[10 + c] = c;
  });
  const points: Dataset = { x: tensor(x, [20, d], 'float64'), y: tensor(y, [20], 'int32') };
  const h = softmaxRegressionHessian(model, theta, train.data, objective.weightDecay);
  const p = model.numParams, lambda = options.damping ?? 0.1;
  for (let i = 0; i < p; i++) h[i * p + i]! += lambda;
  const solver = fitCholesky(h, p);
  const { inf, grad } = tidy(() => {
    const g = objective.perSampleGradients(theta, points);
    const hinv = solver.solve(transpose(g)).x;
    return { inf: Float64Array.from(matmul(g, hinv).dataSync()), grad: Float64Array.from(matmul(g, g, { transB: true }).dataSync()) };
  });
  solver.dispose();
  const normalise = (m: Float64Array): Float64Array => Float64Array.from(m, (v, k) => v / Math.sqrt(m[Math.floor(k / 20) * 21]! * m[(k % 20) * 21]!));
  const influence = normalise(inf), gradient = normalise(grad);
  const mean = (m: Float64Array, pred: (i: number, j: number) => boolean): number => {
    let s = 0, c = 0;
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) if (pred(i, j)) { s += m[i * 20 + j]!; c++; }
    return s / c;
  };
  const isMatched = (i: number, j: number) => Math.abs(i - j) === 10;
  const isUnrelated = (i: number, j: number) => i % 10 !== j % 10;
  const gap = Float64Array.from(gradient, (g, k) => g - influence[k]!);
  const names = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];
  return {
    influence, gradient,
    labels: [...names, ...names.map((s) => `${s}′`)],
    matched: { influence: mean(influence, isMatched), gradient: mean(gradient, isMatched) },
    unrelated: { influence: mean(influence, isUnrelated), gradient: mean(gradient, isUnrelated) },
    unrelatedAbs: { influence: mean(influence.map(Math.abs), isUnrelated), gradient: mean(gradient.map(Math.abs), isUnrelated) },
    unrelatedGap: mean(gap, isUnrelated),
  };
}
