import { InputError, ShapeError } from '../../errors.js';
import { add, concat, div, mean, mul, reshape, sqrt, square, sub, sum } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerActivity, LayerSpec, ParamSpec } from '../module.js';

/**
 * torch.nn.LayerNorm: normalises over the last dims (normalizedShape) with the biased variance,
 * y = (x − μ)/√(σ² + ε)·γ + β, γ and β of shape normalizedShape (elementwise affine). Written in
 * differentiable ops, so every autodiff mode goes through it. Per-example gradients in closed form
 * (γ: Σ_pos δ ⊙ x̂, β: Σ_pos δ over the leading non-normalised axes); no Kronecker view (K-FAC needs
 * a fallback solver for its parameters: kroneckerFallback).
 */
export class LayerNorm implements Layer {
  readonly kind = 'layernorm';
  readonly params: readonly ParamSpec[];
  readonly normalizedShape: readonly number[];

  constructor(normalizedShape: number | readonly number[], readonly options: { eps?: number; elementwiseAffine?: boolean } = {}) {
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new InputError(`LayerNorm: normalized_shape must be positive integers, got ${JSON.stringify(normalizedShape)}`);
    }
    const eps = options.eps ?? 1e-5;
    if (!(eps > 0) || !Number.isFinite(eps)) throw new InputError(`LayerNorm: eps must be a finite number > 0, got ${eps}`);
    this.params = options.elementwiseAffine === false ? [] : [{ name: 'weight', shape: this.normalizedShape }, { name: 'bias', shape: this.normalizedShape }];
  }

  outputShape(input: readonly number[]): number[] {
    const k = this.normalizedShape.length;
    if (input.length < k + 1 || this.normalizedShape.some((d, i) => input[input.length - k + i] !== d)) {
      throw new ShapeError(`${this.describe()}: inputs must end in [${this.normalizedShape.join(', ')}], got [${input.join(', ')}]`);
    }
    return [...input];
  }

  /** x̂ = (x − μ)/√(σ² + ε) over the normalised axes. */
  private normalise(x: Tensor): Tensor {
    const axes = this.normalizedShape.map((_, i) => x.rank - this.normalizedShape.length + i);
    const centred = sub(x, mean(x, axes, true));
    return div(centred, sqrt(add(mean(square(centred), axes, true), this.options.eps ?? 1e-5)));
  }

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    this.outputShape(x.shape);
    const y = this.normalise(x);
    return params.length === 0 ? y : add(mul(y, params[0]!), params[1]!);
  }

  /** γᵢ = Σ_pos δᵢ ⊙ x̂ᵢ, βᵢ = Σ_pos δᵢ (sums over the axes between the batch and the normalised ones), [n, 2·size]. */
  perExampleGradients(_params: readonly Tensor[], { input, outputGrad }: LayerActivity): Tensor {
    const n = input.shape[0]!;
    const size = this.normalizedShape.reduce((a, b) => a * b, 1);
    const rows = (t: Tensor): Tensor => sum(reshape(t, [n, -1, size]), 1);
    return concat([rows(mul(outputGrad, this.normalise(input))), rows(outputGrad)], 1);
  }

  /** PyTorch's initialisation: γ = 1, β = 0. */
  init(): Float64Array[] {
    const size = this.normalizedShape.reduce((a, b) => a * b, 1);
    return this.params.length === 0 ? [] : [new Float64Array(size).fill(1), new Float64Array(size)];
  }

  spec(): LayerSpec {
    return { kind: this.kind, normalizedShape: [...this.normalizedShape], eps: this.options.eps ?? 1e-5, elementwiseAffine: this.params.length > 0 };
  }

  describe(): string {
    return `LayerNorm((${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${this.options.eps ?? 1e-5}${this.params.length === 0 ? ', elementwise_affine=False' : ''})`;
  }
}

/** torch.nn.Dropout at evaluation: the identity (curvature and influence are taken of the model as evaluated). */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  readonly params = [];
  constructor(readonly p = 0.5) {
    if (!(p >= 0 && p < 1)) throw new InputError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    return x;
  }
  init(): Float64Array[] {
    return [];
  }
  describe(): string {
    return `Dropout(p=${this.p})`;
  }
  spec(): LayerSpec {
    return { kind: this.kind, p: this.p };
  }
}
