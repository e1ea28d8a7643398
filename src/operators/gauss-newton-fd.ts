import { hvp, vjp } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import type { FloatDType } from '../backend/types.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { add, mean, mul, reshape, sigmoid, softmax, sub, sum, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { convexLoss } from './batched.js';
import { checkVector, plusShift, type LinearOperator, type ShiftedOperator } from './linear-operator.js';

/** Unit roundoff u of a float dtype (half the machine epsilon). */
function unitRoundoff(dtype: FloatDType): number {
  return dtype === 'float64' ? 2 ** -53 : 2 ** -24;
}

export interface GaussNewtonFdOptions {
  /** Examples per batch (memory vs. overhead). Default 4096. */
  batchSize?: number;
  /** λ of the damped operator G + λI. Default 0. */
  damping?: number;
  /**
   * The finite-difference step: a number is the absolute step δ of 003 (which fixes δ = 0.01 for
   * its Gaussian g ~ N(0, I/N)); default 'auto', δ = u^{1/3}·(1 + ‖θ‖)/‖v‖ (u: unit roundoff of
   * θ's dtype), the step that balances the central difference's O(δ²) truncation against its
   * O(u/δ) rounding error, both then ≈ u^{2/3} relative (≈ 4e-11 in float64, 1.5e-5 in float32);
   * the (1 + ‖θ‖) factor keeps θ ± δv resolvable where θ is large (cf. the √u rule of
   * Jacobian-free Newton–Krylov, Knoll & Keyes 2004, for one-sided differences).
   */
  epsilon?: number | 'auto';
}

/**
 * The Gauss–Newton operator G = (1/N)·Σᵢ Jᵢᵀ·H_ℓ,ᵢ·Jᵢ + (λ_wd + λ)·I — the same matrix as
 * `gaussNewtonOperator` — with the Jacobian-vector product taken by central finite differences,
 * as 003 does (§2 "Hessian-vector products", eq. (7) and the display after it; Martens 2010):
 *
 *   J·v ≈ (f(θ + δv) − f(θ − δv)) / (2δ),      G_B·v ≈ ∇_θ (1/|B|)·Σ f(x; θ)ᵀ·[H_ℓ·J·v]  (H_ℓ·J·v held fixed).
 *
 * Per batch: exactly three forward passes (θ + δv, θ − δv, and θ with the tape) and one backward
 * pass (the vjp with cotangent H_ℓ·J·v); no forward-mode or second-order autodiff. The
 * output-space product H_ℓ·u is in closed form for the built-in losses — cross-entropy
 * (diag(p) − ppᵀ)u with p = softmax(z) (003's S_h), MSE u, BCE σ(z)(1 − σ(z))⊙u, each over |B| for
 * the mean — and an output-space hvp (cheap: [B, outputs]) for any other loss. The error against
 * the exact product is the central difference's, O(δ²) + O(u/δ) (see `epsilon`). Like the other
 * curvature operators it declares shift = λ_wd + λ and base = the data part (psd for the built-in
 * losses, as G is; the finite-difference products are so only up to their error).
 */
export function gaussNewtonFiniteDifferenceOperator(objective: Objective, theta: Tensor, data: Dataset, options: GaussNewtonFdOptions = {}): ShiftedOperator {
  objective.model.checkTheta(theta);
  objective.validate(data);
  const damping = options.damping ?? 0;
  if (!Number.isFinite(damping) || damping < 0) throw new InputError(`damping must be a finite number ≥ 0, got ${damping}`);
  const batchSize = options.batchSize ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`);
  const epsilon = options.epsilon ?? 'auto';
  if (epsilon !== 'auto' && !(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) {
    throw new InputError(`epsilon must be 'auto' or a finite number > 0, got ${String(epsilon)}`);
  }
  if (theta.dtype !== 'float32' && theta.dtype !== 'float64') throw new InputError(`θ must be float32 or float64, got ${theta.dtype}`);
  const dtype = theta.dtype;
  const n = data.x.shape[0]!;
  const shift = objective.weightDecay + damping;
  const thetaNorm = tidy(() => Math.sqrt(sum(mul(theta, theta)).item()));
  const model = objective.model, loss = objective.loss;
  const psd: boolean | 'unknown' = convexLoss(objective) ? true : 'unknown';

  /** H_ℓ·u for the mean loss over the batch, at outputs z. */
  const lossHessianProduct = (z: Tensor, y: Tensor, u: Tensor): Tensor => {
    const b = z.shape[0]!;
    switch (loss.name) {
      case 'cross-entropy': {
        const p = softmax(z, -1);
        const pu = mul(p, u);
        return mul(sub(pu, mul(p, sum(pu, -1, true))), 1 / b);
      }
      case 'mse':
        return mul(u, 1 / b);
      case 'bce-with-logits': {
        const s = sigmoid(z);
        return mul(mul(s, sub(1, s)), mul(u, 1 / b));
      }
      default:
        return hvp((zz: Tensor) => mean(loss.perSample(zz, y)), z, u);
    }
  };

  const make = (shift: number): LinearOperator => {
    const op: LinearOperator = {
      size: theta.size,
      dtype,
      symmetric: true,
      psd,
      matvec(v) {
        checkVector(op, v);
        if (v.rank !== 1) throw new InputError('matvec: expected a vector');
        return tidy(() => {
          const vNorm = Math.sqrt(sum(mul(v, v)).item());
          if (!Number.isFinite(vNorm)) throw new InputError('gaussNewtonFiniteDifferenceOperator: v contains NaN or Inf');
          if (vNorm === 0) return mul(v, 0);
          const delta = epsilon === 'auto' ? Math.cbrt(unitRoundoff(dtype)) * (1 + thetaNorm) / vNorm : epsilon;
          const plus = add(theta, mul(v, delta)), minus = sub(theta, mul(v, delta));
          let acc: Tensor | null = null;
          for (let start = 0; start < n; start += batchSize) {
            const gv = tidy(() => {
              const b = batchOf(data, start, batchSize);
              const jv = mul(sub(model.apply(plus, b.x), model.apply(minus, b.x)), 1 / (2 * delta)); // forwards 1, 2
              const { value: z, pullback } = vjp((t: Tensor) => model.apply(t, b.x), theta);           // forward 3
              const u = lossHessianProduct(z, b.y, reshape(jv, z.shape));
              return mul(pullback(u), b.x.shape[0]! / n);                                            // backward
            });
            acc = acc ? add(acc, gv) : gv;
          }
          return plusShift(acc!, v, shift);
        });
      },
    };
    return op;
  };
  const base = make(0);
  return { ...make(shift), shift, base };
}
