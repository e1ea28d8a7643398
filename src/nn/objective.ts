import { valueAndGrad } from '../autodiff/api.js';
import { InputError, ShapeError } from '../errors.js';
import { add, allFinite, gather, mean, mul, slice, sum, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { perExampleGradientsFromCaptures, scoresFromCaptures } from './capture.js';
import type { QueryCache } from './query-cache.js';
import type { Loss } from './losses.js';
import type { Captures, Model } from './model.js';

/** A supervised dataset held as tensors: inputs [N, …] and targets (int32 labels or floats). */
export interface Dataset {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** Rows [start, start + count) of a dataset. */
export function batchOf(data: Dataset, start: number, count: number): Dataset {
  const n = data.x.shape[0]!;
  const c = Math.min(count, n - start);
  if (start === 0 && c === n) return data;
  return {
    x: slice(data.x, [start, ...data.x.shape.slice(1).map(() => 0)], [c, ...data.x.shape.slice(1)]),
    y: slice(data.y, [start, ...data.y.shape.slice(1).map(() => 0)], [c, ...data.y.shape.slice(1)]),
  };
}

/** The rows of a dataset picked by index. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const idx = tensor(Int32Array.from(indices), [indices.length], 'int32');
  return { x: gather(data.x, idx), y: gather(data.y, idx) };
}

/**
 * Input tensors already found finite. Tensors are immutable, so a dataset checked once (a fit's
 * first pass) need not be read again by the next pass or the next call: on 60,000 images that
 * check is a pass over 188 MB.
 */
const FINITE_INPUTS = new WeakSet<Tensor>();

/**
 * The training objective J(θ) = (1/N)·Σᵢ ℓ(f(xᵢ; θ), yᵢ) + (λ_wd/2)·‖θ‖² (λ_wd = weightDecay),
 * the function whose Hessian the curvature operators and influence functions use.
 */
export class Objective<M extends Model = Model> {
  constructor(readonly model: M, readonly loss: Loss, readonly weightDecay = 0) {
    if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) throw new InputError(`weightDecay must be a finite number ≥ 0, got ${weightDecay}`);
  }

  /** Checks a dataset against the model and loss: shapes, dtypes, finite inputs, label range. */
  validate(data: Dataset, what = 'data'): void {
    const { x, y } = data;
    if (x.rank === 0) throw new ShapeError(`${what}: inputs must be [N, features] (or [N, …]), got a scalar`);
    if (x.shape[0] === 0) throw new InputError(`${what}: the dataset is empty`);
    const outputs = this.model.checkInput(x, what);
    if (y.shape[0] !== x.shape[0]) throw new ShapeError(`${what}: ${x.shape[0]} inputs but ${y.shape[0]} targets`);
    if (!FINITE_INPUTS.has(x)) {
      if (!allFinite(x)) throw new InputError(`${what}: inputs contain NaN or Inf`);
      FINITE_INPUTS.add(x);
    }
    this.loss.validate({ shape: outputs }, y);
  }

  /** One loss per example, ℓ(f(xᵢ; θ), yᵢ), shape [batch]. */
  perSampleLosses(theta: Tensor, batch: Dataset): Tensor {
    return this.loss.perSample(this.model.apply(theta, batch.x), batch.y);
  }

  /** Mean data loss on a batch (no weight decay). */
  dataLoss(theta: Tensor, batch: Dataset): Tensor {
    return mean(this.perSampleLosses(theta, batch));
  }

  /** The weight-decay term (λ/2)·‖θ‖². */
  regularizer(theta: Tensor): Tensor {
    return mul(sum(mul(theta, theta)), this.weightDecay / 2);
  }

  /** J restricted to one batch: mean loss + (λ/2)‖θ‖². */
  value(theta: Tensor, batch: Dataset): Tensor {
    return this.weightDecay === 0 ? this.dataLoss(theta, batch) : add(this.dataLoss(theta, batch), this.regularizer(theta));
  }

  /**
   * J and ∇J over a whole dataset, accumulated over batches (batch b weighs |b|/N), as float64 host
   * arrays — what full-batch L-BFGS consumes.
   */
  fullValueAndGrad(theta: Tensor, data: Dataset, batchSize = 4096): { value: number; grad: Float64Array } {
    const n = data.x.shape[0]!;
    let value = 0;
    const g = new Float64Array(theta.size);
    for (let start = 0; start < n; start += batchSize) {
      tidy(() => {
        const b = batchOf(data, start, batchSize);
        const w = b.x.shape[0]! / n;
        const r = valueAndGrad((t: Tensor) => this.dataLoss(t, b), theta);
        value += w * r.value.item();
        const gb = r.grad.dataSync();
        for (let i = 0; i < g.length; i++) g[i]! += w * gb[i]!;
      });
    }
    if (this.weightDecay > 0) {
      const t = theta.dataSync();
      let sq = 0;
      for (let i = 0; i < g.length; i++) { g[i]! += this.weightDecay * t[i]!; sq += t[i]! * t[i]!; }
      value += (this.weightDecay / 2) * sq;
    }
    return { value, grad: g };
  }

  /**
   * One forward and one backward pass over a batch: every parameterised layer's input a and the
   * gradient δ of Σᵢ ℓᵢ w.r.t. its output (row i = ∂ℓᵢ/∂zᵢ), plus the per-example losses ℓᵢ (no
   * weight decay). The one mechanism behind per-example gradients (and K-FAC/EK-FAC factors).
   */
  capture(theta: Tensor, batch: Dataset): Captures {
    return this.model.capture(theta, batch.x, (z) => this.loss.perSample(z, batch.y));
  }

  /**
   * Per-example gradients ∇θ ℓ(f(xᵢ; θ), yᵢ) as a [batch, P] matrix in θ's layout, from one
   * capture (one forward and one backward pass): each parameterised layer's block comes from its
   * capture rule (Linear: δᵢ·aᵢᵀ and δᵢ; Goodfellow 2015), or, for a layer without one, from an
   * exact per-example vjp of that layer alone (see capture.ts). No weight decay.
   */
  perSampleGradients(theta: Tensor, batch: Dataset): Tensor {
    return tidy(() => perExampleGradientsFromCaptures(this.model, theta, this.capture(theta, batch)));
  }

  /**
   * Per-example gradients dotted with query vectors q [m, P]: [batch, m] with entry [i, t] =
   * ∇θℓ(f(xᵢ; θ), yᵢ)·q_t, from one capture, layer by layer (scoresFromCaptures) — the same numbers
   * as perSampleGradients(θ, batch)·qᵀ without the [batch, P] matrix. No weight decay. q in a
   * QueryCache keeps its per-layer slices for the next batch.
   */
  gradientScores(theta: Tensor, batch: Dataset, q: Tensor | QueryCache): Tensor {
    return tidy(() => scoresFromCaptures(this.model, theta, this.capture(theta, batch), q));
  }
}
