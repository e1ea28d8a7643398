import { grad, valueAndGrad } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { keep, mul, sub, sum, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, subset, type Dataset, type Objective } from '../nn/objective.js';
import { lbfgs, type LbfgsResult } from '../nn/optim/lbfgs.js';
import { outputValues, type OutputSpec } from './outputs.js';

export interface PbrfOptions {
  /** λ of eq. 28's proximity term (λ/2)‖θ − θˢ‖², added to the objective's weight decay (see below). */
  damping: number;
  /** ε, the downweighting of z_m in eq. 28. Default 1/N: removing z_m from the N-point objective. */
  epsilon?: number;
  /** L-BFGS stops at ‖∇Q‖ ≤ relTol·‖∇Q(θˢ)‖ (= relTol·ε·‖∇θℓ(z_m)‖). Default 1e-7. */
  relTol?: number;
  /** Or an absolute tolerance on ‖∇Q‖, if given. */
  gradTol?: number;
  maxIter?: number;
  batchSize?: number;
  /** The test quantity whose change is reported (default 'loss'). */
  output?: OutputSpec;
  onPoint?: (info: { index: number; iterations: number; gradNorm: number }) => void;
}

export interface PbrfResult {
  /** deltas[k][i] = f(θ_k, z_test,i) − f(θˢ, z_test,i), θ_k the PBRF solution for removed[k]. */
  deltas: Float64Array[];
  /** ‖θ_k − θˢ‖. */
  steps: number[];
  gradNorms: number[];
  iterations: number[];
  converged: boolean[];
}

/**
 * The proximal Bregman response function (PBRF) of Bae, Ng, Lo, Ghassemi & Grosse, "If influence
 * functions are the answer, then what is the question?" (NeurIPS 2022; reference
 * 004_7cb5e77c3e7b1392.txt, §B.3): for a training point z_m = (x_m, t_m),
 *   Q(θ, ε) = (1/N)·Σᵢ D_ℓ⁽ⁱ⁾(f(θ, xᵢ), f(θˢ, xᵢ)) − ε·ℓ(f(θ, x_m), t_m) + (λ/2)·‖θ − θˢ‖²   (eq. 28)
 *   D_ℓ⁽ⁱ⁾(y, yˢ) = ℓ(y, tᵢ) − ℓ(yˢ, tᵢ) − ∇_y ℓ(yˢ, tᵢ)ᵀ·(y − yˢ)                              (eq. 29)
 *   r(ε) = argmin_θ Q(θ, ε)                                                                        (eq. 30)
 * minimised by L-BFGS warm-started at θˢ (Q(·, 0) is minimised at θˢ whether or not θˢ minimises
 * the training loss). Sign: ε > 0 downweights z_m; ε = 1/N removes it.
 *
 * Weight decay: the objective's (λ_wd/2)‖θ‖² is part of the cost; its Bregman divergence about θˢ
 * is (λ_wd/2)‖θ − θˢ‖², so the proximity coefficient used is λ_wd + damping. Then ∇²Q(θˢ) =
 * G + (λ_wd + λ)·I exactly (G: the Gauss–Newton Hessian — the Bregman term's Hessian at θˢ has no
 * output-curvature part because ∇_yℓ − ∇_yℓ(yˢ) vanishes there), and by eqs. 31–37 and 46,
 * dr/dε(0) = (G + (λ_wd + λ)I)⁻¹·∇θℓ(z_m): the test-loss change is ≈ −ε·I_up,loss(z_m, z_test) of a
 * Gauss–Newton influence model with the same damping.
 */
export function pbrf(objective: Objective, thetaS: Tensor, train: Dataset, test: Dataset, removed: readonly number[], options: PbrfOptions): PbrfResult {
  objective.model.checkTheta(thetaS);
  objective.validate(train, 'training data');
  objective.validate(test, 'test data');
  const n = train.x.shape[0]!;
  const damping = options.damping;
  if (!Number.isFinite(damping) || damping < 0) throw new InputError(`PBRF damping must be a finite number ≥ 0, got ${damping}`);
  const eps = options.epsilon ?? 1 / n;
  if (!Number.isFinite(eps)) throw new InputError(`PBRF epsilon must be finite, got ${eps}`);
  for (const m of removed) if (!Number.isInteger(m) || m < 0 || m >= n) throw new InputError(`PBRF: training index ${m} is outside [0, ${n})`);
  const mu = objective.weightDecay + damping;
  if (!(mu > 0)) throw new InputError('PBRF needs damping + weight decay > 0 for a strongly convex proximal objective (eq. 30)');
  const batchSize = options.batchSize ?? 4096;
  const { model, loss } = objective;
  const dtype = thetaS.dtype;
  const output = options.output ?? 'loss';

  const thetaHost = Float64Array.from(thetaS.dataSync());
  const base = tidy(() => Float64Array.from(outputValues(objective, thetaS, test, output).dataSync()));
  const result: PbrfResult = { deltas: [], steps: [], gradNorms: [], iterations: [], converged: [] };
  const anchors: { b: Dataset; yS: Tensor; lS: number; gS: Tensor }[] = [];
  try {
    // The anchors of eq. 29 per batch: yˢ = f(θˢ, x), ℓ(yˢ), and ∇_y ℓ(yˢ) (rows: per example).
    for (let start = 0; start < n; start += batchSize) {
      anchors.push(tidy(() => {
        const b = batchOf(train, start, batchSize);
        const yS = model.apply(thetaS, b.x);
        const lS = sum(loss.perSample(yS, b.y)).item();
        const gS = grad((z: Tensor) => sum(loss.perSample(z, b.y)), yS);
        return { b: { x: keep(b.x), y: keep(b.y) }, yS: keep(yS), lS, gS: keep(gS) };
      }));
    }
    for (const m of removed) {
      const zm = subset(train, [m]);
      try {
        const fg = (x: Float64Array): { value: number; grad: Float64Array } => tidy(() => {
          const t = tensor(x, [x.length], dtype);
          let value = 0;
          const g = new Float64Array(x.length);
          const addGrad = (w: number, gt: Tensor) => { const d = gt.dataSync(); for (let i = 0; i < g.length; i++) g[i]! += w * d[i]!; };
          for (const a of anchors) {
            const r = valueAndGrad((th: Tensor) => {
              const z = model.apply(th, a.b.x);
              return sub(sum(loss.perSample(z, a.b.y)), sum(mul(a.gS, sub(z, a.yS))));
            }, t);
            value += (r.value.item() - a.lS) / n;
            addGrad(1 / n, r.grad);
          }
          const rm = valueAndGrad((th: Tensor) => sum(loss.perSample(model.apply(th, zm.x), zm.y)), t);
          value -= eps * rm.value.item();
          addGrad(-eps, rm.grad);
          let sq = 0;
          for (let i = 0; i < g.length; i++) { const d = x[i]! - thetaHost[i]!; sq += d * d; g[i]! += mu * d; }
          value += (mu / 2) * sq;
          return { value, grad: g };
        });
        const g0 = fg(thetaHost).grad;
        const g0n = Math.sqrt(g0.reduce((s, v) => s + v * v, 0));
        const gradTol = options.gradTol ?? (options.relTol ?? 1e-7) * g0n;
        // Q is a difference of O(Σℓ/N) terms: its value carries round-off of ~u·Σ|ℓ|/N that the
        // line search must not mistake for an increase (near the optimum Q changes by less).
        const valueNoise = 1e-12 * (anchors.reduce((s, a) => s + Math.abs(a.lS), 0) / n + 1);
        const r: LbfgsResult = lbfgs(fg, thetaHost, { gradTol, maxIter: options.maxIter ?? 1000, valueNoise });
        const after = tidy(() => outputValues(objective, tensor(r.x, [r.x.length], dtype), test, output).dataSync());
        result.deltas.push(Float64Array.from(after, (v, i) => v - base[i]!));
        let step = 0;
        for (let i = 0; i < r.x.length; i++) step += (r.x[i]! - thetaHost[i]!) ** 2;
        result.steps.push(Math.sqrt(step));
        result.gradNorms.push(r.gradNorm);
        result.iterations.push(r.iterations);
        result.converged.push(r.converged);
        options.onPoint?.({ index: m, iterations: r.iterations, gradNorm: r.gradNorm });
      } finally {
        zm.x.dispose(); zm.y.dispose();
      }
    }
  } finally {
    for (const a of anchors) { a.yS.dispose(); a.gS.dispose(); if (a.b.x !== train.x) { a.b.x.dispose(); a.b.y.dispose(); } }
  }
  return result;
}
