import { DTypeError, InputError, ShapeError } from '../errors.js';
import { mean, mul, reshape, softmaxCrossEntropy, softplus, square, sub, sum } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';

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
