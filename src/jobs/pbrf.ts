import { grad, valueAndGrad } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { batchOf, subset, type Dataset, type Objective } from '../nn/objective.js';
import { lbfgs } from '../nn/optim/lbfgs.js';
import { keep, mul, sub, sum, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface PbrfOptions {
  /** λ of the proximity term on top of the weight decay: (λ_wd + λ)/2·‖θ − θ̂‖². Default 0. */
  damping?: number;
  gradTol?: number;
  maxIter?: number;
  batchSize?: number;
}

/**
 * The proximal Bregman response function (Bae, Ng, Lo, Ghassemi & Grosse 2022, "If influence
 * functions are the answer, then what is the question?", eq. 8; 004_7cb5e77c3e7b1392.txt) for
 * removing training point m (ε = −1/N):
 *
 *   θ^s = argmin_θ (1/N)·Σᵢ D_ℓ(f(θ, xᵢ), f(θ̂, xᵢ); yᵢ) − (1/N)·ℓ(f(θ, x_m), y_m) + ((λ_wd + λ)/2)·‖θ − θ̂‖²,
 *   D_ℓ(z, ẑ; y) = ℓ(z, y) − ℓ(ẑ, y) − ∇_ẑℓ(ẑ, y)ᵀ(z − ẑ)     (Bregman divergence in the outputs),
 *
 * where the weight decay's own Bregman divergence is (λ_wd/2)‖θ − θ̂‖². Its linearisation at θ̂ is
 * exactly damped Gauss–Newton influence: θ^s − θ̂ ≈ (G + (λ_wd + λ)I)⁻¹·∇ℓ_m/N, so the predicted
 * test-loss change −I_up,loss/N with --hessian gauss-newton --damping λ is what this measures.
 * Solved by L-BFGS from θ̂; returns ℓ_test(θ^s) − ℓ_test(θ̂) per removed point, like leaveOneOut.
 */
export function pbrfLeaveOneOut(objective: Objective, theta: Tensor, train: Dataset, test: Dataset, removed: readonly number[],
  options: PbrfOptions = {}): { deltas: Float64Array[]; gradNorms: number[]; iterations: number[] } {
  const n = train.x.shape[0]!, p = theta.size, dtype = theta.dtype, batchSize = options.batchSize ?? 4096;
  const damping = options.damping ?? 0;
  if (!(damping >= 0) || !Number.isFinite(damping)) throw new InputError(`pbrf: damping must be a finite number ≥ 0, got ${damping}`);
  for (const j of removed) if (!Number.isInteger(j) || j < 0 || j >= n) throw new InputError(`pbrf: index ${j} outside [0, ${n})`);
  const { model, loss } = objective;
  const prox = objective.weightDecay + damping;
  const theta0 = Float64Array.from(theta.dataSync());
  // Outputs ẑ, losses ℓ(ẑ) and output gradients ∂ℓ/∂z at θ̂, for every batch (constants of D).
  const anchors = tidy(() => {
    const out: { zHat: Tensor; lHat: Tensor; gHat: Tensor }[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const b = batchOf(train, start, batchSize);
      const zHat = model.apply(theta, b.x);
      out.push({ zHat: keep(zHat), lHat: keep(loss.perSample(zHat, b.y)), gHat: keep(grad((z: Tensor) => sum(loss.perSample(z, b.y)), zHat)) });
    }
    return out;
  });
  const base = tidy(() => objective.perSampleLosses(theta, test).dataSync());
  const deltas: Float64Array[] = [], gradNorms: number[] = [], iterations: number[] = [];
  try {
    for (const m of removed) {
      const point = subset(train, [m]);
      const fg = (x: Float64Array): { value: number; grad: Float64Array } => tidy(() => {
        const t = tensor(x, [p], dtype);
        let value = 0;
        const g = new Float64Array(p);
        anchors.forEach((a, bi) => {
          const b = batchOf(train, bi * batchSize, batchSize);
          const r = valueAndGrad((th: Tensor) => {
            const z = model.apply(th, b.x);
            const d = sub(sub(loss.perSample(z, b.y), a.lHat), sum(mul(a.gHat, sub(z, a.zHat)), 1));
            return mul(sum(d), 1 / n);
          }, t);
          value += r.value.item();
          const gb = r.grad.dataSync();
          for (let i = 0; i < p; i++) g[i]! += gb[i]!;
        });
        const rm = valueAndGrad((th: Tensor) => mul(sum(loss.perSample(model.apply(th, point.x), point.y)), -1 / n), t);
        value += rm.value.item();
        const gm = rm.grad.dataSync();
        let sq = 0;
        for (let i = 0; i < p; i++) {
          const dlt = x[i]! - theta0[i]!;
          g[i]! += gm[i]! + prox * dlt;
          sq += dlt * dlt;
        }
        return { value: value + (prox / 2) * sq, grad: g };
      });
      const r = lbfgs(fg, theta0.slice(), { gradTol: options.gradTol ?? 1e-10, maxIter: options.maxIter ?? 1000 });
      point.x.dispose(); point.y.dispose();
      const after = tidy(() => objective.perSampleLosses(tensor(r.x, [p], dtype), test).dataSync());
      deltas.push(Float64Array.from(after, (v, i) => v - base[i]!));
      gradNorms.push(r.gradNorm);
      iterations.push(r.iterations);
    }
  } finally {
    for (const a of anchors) { a.zHat.dispose(); a.lHat.dispose(); a.gHat.dispose(); }
  }
  return { deltas, gradNorms, iterations };
}

