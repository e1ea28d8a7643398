import { InputError, ShapeError } from '../errors.js';
import type { Dataset } from '../nn/objective.js';
import type { Sequential } from '../nn/sequential.js';
import { concat, matmul, mul, ones, slice, softmax, sub, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The exact Hessian of multinomial logistic regression (one Linear(D, K) layer, mean
 * cross-entropy, weight decay λ) in closed form (the reference tutorial's closed form for logistic
 * regression, 002_7d5b2182e0d2bf0b.txt, in its K-class version; Böhning 1992):
 *
 *   H = (1/N)·Σᵢ (diag(pᵢ) − pᵢpᵢᵀ) ⊗ x̃ᵢx̃ᵢᵀ + λ·I,    x̃ᵢ = [xᵢ; 1],  pᵢ = softmax(W·xᵢ + b),
 *
 * laid out in θ's order (weight [K, D] row-major, then bias [K]). Block (c, d) is
 * X̃ᵀ·diag(w_cd)·X̃/N with w_cd,i = p_ic·(δ_cd − p_id): K(K+1)/2 GEMMs of [D+1, N]·[N, D+1], far
 * cheaper than P Hessian-vector products. Returns a dense [P, P] float64 host array (factor it with
 * fitCholesky of src/influence/newton-retrain.ts, or wrap it with denseOperator).
 */
export function softmaxRegressionHessian(model: Sequential, theta: Tensor, data: Dataset, weightDecay: number, batchSize = 8192): Float64Array {
  const lin = model.linearLayers();
  if (lin.length !== 1 || model.layers.length !== 1 || !lin[0]!.bias) {
    throw new InputError(`softmaxRegressionHessian: expected a single Linear layer with bias, got ${model.describe()}`);
  }
  const d = model.inFeatures, k = model.outFeatures, p = model.numParams, n = data.x.shape[0]!, e = d + 1;
  if (data.x.shape[1] !== d) throw new ShapeError(`softmaxRegressionHessian: inputs have ${data.x.shape[1]} features, the model expects ${d}`);
  const blocks = Array.from({ length: k * k }, () => null as Float64Array | null);
  for (let start = 0; start < n; start += batchSize) {
    tidy(() => {
      const m = Math.min(batchSize, n - start);
      const x = slice(data.x, [start, 0], [m, d]);
      const xt = concat([x, ones([m, 1], x.dtype)], 1);
      const probs = softmax(model.apply(theta, x), 1);
      for (let c = 0; c < k; c++) {
        const pc = slice(probs, [0, c], [m, 1]);
        for (let dd = c; dd < k; dd++) {
          const pd = slice(probs, [0, dd], [m, 1]);
          const w = c === dd ? mul(pc, sub(1, pd)) : mul(mul(pc, pd), -1);
          const a = matmul(xt, mul(xt, w), { transA: true }).dataSync();
          const acc = blocks[c * k + dd] ?? (blocks[c * k + dd] = new Float64Array(e * e));
          for (let i = 0; i < acc.length; i++) acc[i]! += a[i]! / n;
        }
      }
    });
  }
  const h = new Float64Array(p * p);
  const index = (c: number, j: number): number => (j < d ? c * d + j : k * d + c);
  for (let c = 0; c < k; c++) {
    for (let dd = c; dd < k; dd++) {
      const a = blocks[c * k + dd]!;
      for (let i = 0; i < e; i++) {
        const row = index(c, i);
        for (let j = 0; j < e; j++) {
          const col = index(dd, j), v = a[i * e + j]!;
          h[row * p + col] = v;
          h[col * p + row] = v;
        }
      }
    }
  }
  for (let i = 0; i < p; i++) h[i * p + i]! += weightDecay;
  return h;
}
