import { InputError, ShapeError } from '../../errors.js';
import { add, concat, mul, reshape, sub, sum, tensor, toBackend } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerActivity, LayerSpec, ParamSpec } from '../module.js';

export interface BatchNormOptions {
  eps?: number;
  /** γ and β as parameters (PyTorch's affine=True, the default). */
  affine?: boolean;
  /** The running statistics learnt in training (defaults: mean 0, variance 1). */
  runningMean?: ArrayLike<number>;
  runningVar?: ArrayLike<number>;
}

/**
 * torch.nn.BatchNorm1d/2d in evaluation mode: every channel c (axis 1 of [N, C, …]) is normalised
 * with the running statistics learnt in training, y = (x − μ_c)/√(σ²_c + ε)·γ_c + β_c. At
 * evaluation the layer is affine in x with constants μ, σ² (buffers, not parameters), so the model
 * the curvature is taken of is fixed. Per-example gradients in closed form: γ: Σ_pos δ ⊙ x̂, β: Σ_pos δ.
 */
export class BatchNorm implements Layer {
  readonly kind = 'batchnorm';
  readonly params: readonly ParamSpec[];
  readonly eps: number;
  readonly runningMean: Float64Array;
  readonly runningVar: Float64Array;

  constructor(readonly numFeatures: number, options: BatchNormOptions = {}) {
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new ShapeError(`BatchNorm: num_features must be a positive integer, got ${numFeatures}`);
    this.eps = options.eps ?? 1e-5;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) throw new InputError(`BatchNorm: eps must be a finite number > 0, got ${this.eps}`);
    const stat = (v: ArrayLike<number> | undefined, fill: number, what: string): Float64Array => {
      const out = v ? Float64Array.from(v) : new Float64Array(numFeatures).fill(fill);
      if (out.length !== numFeatures) throw new ShapeError(`BatchNorm(${numFeatures}): ${what} has ${out.length} values, expected ${numFeatures}`);
      if (out.some((x) => !Number.isFinite(x))) throw new InputError(`BatchNorm(${numFeatures}): ${what} holds a non-finite value`);
      return out;
    };
    this.runningMean = stat(options.runningMean, 0, 'running_mean');
    this.runningVar = stat(options.runningVar, 1, 'running_var');
    if (this.runningVar.some((v) => v < 0)) throw new InputError(`BatchNorm(${numFeatures}): running_var must be ≥ 0`);
    this.params = options.affine === false ? [] : [{ name: 'weight', shape: [numFeatures] }, { name: 'bias', shape: [numFeatures] }];
  }

  outputShape(input: readonly number[]): number[] {
    if (input.length < 2 || input[1] !== this.numFeatures) {
      throw new ShapeError(`${this.describe()}: expected inputs [N, ${this.numFeatures}, …], got [${input.join(', ')}]`);
    }
    return [...input];
  }

  /** A per-channel constant shaped to broadcast over [N, C, …] (on x's backend and dtype). */
  private channelConstant(values: Float64Array, x: Tensor): Tensor {
    const t = tensor(values, [1, this.numFeatures, ...x.shape.slice(2).map(() => 1)], x.dtype);
    return t.backend === x.backend ? t : toBackend(t, x.backend.name);
  }

  /** x̂ = (x − μ)/√(σ² + ε). */
  private normalise(x: Tensor): Tensor {
    const scale = this.runningVar.map((v) => 1 / Math.sqrt(v + this.eps));
    return mul(sub(x, this.channelConstant(this.runningMean, x)), this.channelConstant(scale, x));
  }

  private asChannelParam(p: Tensor, x: Tensor): Tensor {
    return reshape(p, [1, this.numFeatures, ...x.shape.slice(2).map(() => 1)]);
  }

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    this.outputShape(x.shape);
    const y = this.normalise(x);
    return params.length === 0 ? y : add(mul(y, this.asChannelParam(params[0]!, x)), this.asChannelParam(params[1]!, x));
  }

  /** γᵢ = Σ_pos δᵢ ⊙ x̂ᵢ and βᵢ = Σ_pos δᵢ per channel, [n, 2C]. */
  perExampleGradients(_params: readonly Tensor[], { input, outputGrad }: LayerActivity): Tensor {
    const n = input.shape[0]!;
    const spatial = input.shape.slice(2).reduce((a, b) => a * b, 1);
    const rows = (t: Tensor): Tensor => sum(reshape(t, [n, this.numFeatures, spatial]), 2);
    return concat([rows(mul(outputGrad, this.normalise(input))), rows(outputGrad)], 1);
  }

  /** PyTorch's initialisation: γ = 1, β = 0. */
  init(): Float64Array[] {
    return this.params.length === 0 ? [] : [new Float64Array(this.numFeatures).fill(1), new Float64Array(this.numFeatures)];
  }

  spec(): LayerSpec {
    return { kind: this.kind, numFeatures: this.numFeatures, eps: this.eps, affine: this.params.length > 0, runningMean: [...this.runningMean], runningVar: [...this.runningVar] };
  }

  describe(): string {
    return `BatchNorm(${this.numFeatures}, eps=${this.eps}${this.params.length === 0 ? ', affine=False' : ''}, eval)`;
  }
}
