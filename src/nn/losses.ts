import { DTypeError, InputError, ShapeError } from '../errors.js';
import { eye, mean, mul, reshape, sigmoid, softmax, softmaxCrossEntropy, softplus, sqrt, square, sub, sum, tensor, transpose } from '../tensor/index.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { FloatDType } from '../backend/types.js';

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * A loss ℓ(outputs, targets) that is convex in the outputs (so its output-space Hessian is PSD and
 * the Gauss–Newton product is well defined). `perSample` returns one loss per batch row.
 */
export interface Loss {
  readonly name: LossName;
  perSample(outputs: Tensor, targets: Tensor): Tensor;
  /** Checks targets against the model outputs; throws a typed error on mismatch. */
  validate(outputs: { shape: readonly number[] }, targets: Tensor): void;
  /**
   * A square root of the loss's Hessian in the outputs, as K columns per example: C [K, n, d]
   * with ∇²_z ℓ(zᵢ) = Σₖ C[k, i]·C[k, i]ᵀ (outputs flattened to d per example). Backpropagating
   * each column gives the Gauss–Newton form of the Kronecker factor G (the exact expectation over
   * the model's predictive distribution; Martens & Grosse 2015 §5, George et al. 2018).
   * Optional for a custom loss: K-FAC's Gauss–Newton form then needs another form.
   */
  outputHessianSqrt?(outputs: Tensor): Tensor;
  /**
   * Targets drawn from the model's predictive distribution at `outputs` (the true Fisher's
   * sampled labels; Kronfluence's default): categorical for cross-entropy, Bernoulli for BCE,
   * f + N(0, I) for MSE (the Gaussian whose negative log-likelihood is ½‖f − y‖²).
   */
  sampleTargets?(outputs: Tensor, rng: Random): Tensor;
}

/** Rows of the outputs as [n, d] float64 host values (for sampling). */
function rowsOf(z: Tensor): { n: number; d: number; values: ArrayLike<number> } {
  const n = z.shape[0]!;
  return { n, d: n === 0 ? 0 : z.size / n, values: z.dataSync() };
}

export type LossName = 'cross-entropy' | 'bce-with-logits' | 'mse';

function reduce(perSample: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? perSample : reduction === 'sum' ? sum(perSample) : mean(perSample);
}

/**
 * Cross-entropy with integer labels: ℓ = −log softmax(z)_y (torch.nn.CrossEntropyLoss), one fused
 * softmax-cross-entropy primitive (forward and derivatives: src/autodiff/rules/softmax.ts).
 */
export const crossEntropyLoss: Loss = {
  name: 'cross-entropy',
  perSample(z, y) {
    return softmaxCrossEntropy(z, y);
  },
  // ∇²ℓ = diag(p) − ppᵀ = Σₖ pₖ(eₖ − p)(eₖ − p)ᵀ: columns cₖ = √pₖ·(eₖ − p).
  outputHessianSqrt(z) {
    const n = z.shape[0]!, c = z.shape[1]!;
    const p = softmax(z, -1);
    const sqrtP = reshape(transpose(sqrt(p)), [c, n, 1]);
    return mul(sqrtP, sub(reshape(eye(c, z.dtype as FloatDType), [c, 1, c]), reshape(p, [1, n, c])));
  },
  sampleTargets(z, rng) {
    const p = softmax(z, -1);
    const { n, d, values } = rowsOf(p);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      let acc = 0, k = 0;
      for (; k < d - 1; k++) { acc += values[i * d + k]!; if (u < acc) break; }
      y[i] = k;
    }
    p.dispose();
    return tensor(y, [n], 'int32');
  },
  validate(z, y) {
    if (z.shape.length !== 2) throw new ShapeError(`cross-entropy: outputs must be [batch, classes], got [${z.shape.join(', ')}]`);
    if (y.dtype !== 'int32') throw new DTypeError(`cross-entropy: labels must be int32 class indices, got ${y.dtype}`);
    if (y.rank !== 1 || y.shape[0] !== z.shape[0]) throw new ShapeError(`cross-entropy: ${z.shape[0]} outputs but labels of shape [${y.shape.join(', ')}]`);
    const classes = z.shape[1]!;
    const d = y.dataSync();
    for (let i = 0; i < d.length; i++) {
      if (d[i]! < 0 || d[i]! >= classes) throw new InputError(`cross-entropy: label ${d[i]} at row ${i} is outside [0, ${classes})`);
    }
  },
};

/** Binary cross-entropy on logits: ℓ = softplus(z) − y·z, stable for any z (torch BCEWithLogitsLoss). */
export const bceWithLogitsLoss: Loss = {
  name: 'bce-with-logits',
  perSample(z, y) {
    const z1 = reshape(z, [z.shape[0]!, -1]);
    return sum(sub(softplus(z1), mul(reshape(y, z1.shape), z1)), -1);
  },
  // ∇²ℓ = diag(σ(1 − σ)) per output: columns √(σₖ(1 − σₖ))·eₖ.
  outputHessianSqrt(z) {
    const n = z.shape[0]!, d = z.size / n;
    const s = sigmoid(reshape(z, [n, d]));
    const w = reshape(transpose(sqrt(mul(s, sub(1, s)))), [d, n, 1]);
    return mul(w, reshape(eye(d, z.dtype as FloatDType), [d, 1, d]));
  },
  sampleTargets(z, rng) {
    const s = sigmoid(z);
    const { values } = rowsOf(s);
    const y = Float64Array.from({ length: s.size }, (_, i) => (rng.uniform() < values[i]! ? 1 : 0));
    s.dispose();
    return tensor(y, z.shape, z.dtype);
  },
  validate(z, y) {
    if (y.dtype === 'int32') throw new DTypeError('bce-with-logits: targets must be float 0/1 (or probabilities), got int32');
    if (y.size !== z.shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`bce-with-logits: outputs [${z.shape.join(', ')}] but targets [${y.shape.join(', ')}]`);
    const d = y.dataSync();
    for (let i = 0; i < d.length; i++) if (!(d[i]! >= 0 && d[i]! <= 1)) throw new InputError(`bce-with-logits: target ${d[i]} at ${i} is outside [0, 1]`);
  },
};

/**
 * Mean squared error with the ½ convention: ℓ = ½‖f − y‖² per sample summed over outputs, so the
 * mean-reduced loss is (1/N)·Σᵢ ½‖fᵢ − yᵢ‖² and its output Hessian is the identity per sample.
 * (PyTorch's MSELoss averages over outputs too and omits the ½: ours = MSELoss·d/2 for d outputs.)
 */
export const mseLoss: Loss = {
  name: 'mse',
  perSample(f, y) {
    const f1 = reshape(f, [f.shape[0]!, -1]);
    return mul(sum(square(sub(f1, reshape(y, f1.shape))), -1), 0.5);
  },
  // ∇²ℓ = I: columns eₖ.
  outputHessianSqrt(f) {
    const n = f.shape[0]!, d = f.size / n;
    return mul(reshape(eye(d, f.dtype as FloatDType), [d, 1, d]), tensor(new Float64Array(n).fill(1), [1, n, 1], f.dtype));
  },
  sampleTargets(f, rng) {
    const values = f.dataSync();
    return tensor(Float64Array.from({ length: f.size }, (_, i) => values[i]! + rng.normal()), f.shape, f.dtype);
  },
  validate(f, y) {
    if (y.dtype === 'int32') throw new DTypeError('mse: targets must be float, got int32');
    if (y.size !== f.shape.reduce((a, b) => a * b, 1)) throw new ShapeError(`mse: outputs [${f.shape.join(', ')}] but targets [${y.shape.join(', ')}]`);
  },
};

export const LOSSES: Record<LossName, Loss> = {
  'cross-entropy': crossEntropyLoss,
  'bce-with-logits': bceWithLogitsLoss,
  mse: mseLoss,
};

export function lossByName(name: string): Loss {
  const l = Object.hasOwn(LOSSES, name) ? (LOSSES as Record<string, Loss>)[name] : undefined;
  if (!l) throw new InputError(`unknown loss '${name}': expected one of ${Object.keys(LOSSES).join(', ')}`);
  return l;
}

export const crossEntropy = (z: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor => reduce(crossEntropyLoss.perSample(z, y), reduction);
export const bceWithLogits = (z: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor => reduce(bceWithLogitsLoss.perSample(z, y), reduction);
export const mse = (f: Tensor, y: Tensor, reduction: Reduction = 'mean'): Tensor => reduce(mseLoss.perSample(f, y), reduction);
