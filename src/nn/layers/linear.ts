import { ShapeError } from '../../errors.js';
import { add, concat, matmul, mul, reshape, sum } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { linearScores } from './linear-scores.js';
import type { QueryMemo } from '../query-cache.js';
import type { KroneckerView, Layer, LayerActivity, LayerSpec, ParamSpec } from '../module.js';

/** y = x·Wᵀ + b with W of shape [out, in] and b of shape [out] (torch.nn.Linear's layout). */
export class Linear implements Layer {
  readonly kind = 'linear';
  readonly params: readonly ParamSpec[];

  constructor(readonly inFeatures: number, readonly outFeatures: number, readonly bias = true) {
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 1 || outFeatures < 1) {
      throw new ShapeError(`Linear: feature counts must be positive integers, got (${inFeatures}, ${outFeatures})`);
    }
    this.params = bias
      ? [{ name: 'weight', shape: [outFeatures, inFeatures] }, { name: 'bias', shape: [outFeatures] }]
      : [{ name: 'weight', shape: [outFeatures, inFeatures] }];
  }

  /** Acts on the last axis: [N, …, in] → [N, …, out]. */
  outputShape(input: readonly number[]): number[] {
    if (input.length < 2 || input[input.length - 1] !== this.inFeatures) {
      throw new ShapeError(`${this.describe()}: inputs must be [N, …, ${this.inFeatures}], got [${input.join(', ')}]`);
    }
    return [...input.slice(0, -1), this.outFeatures];
  }

  spec(): LayerSpec {
    return { kind: this.kind, inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias };
  }

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input has ${x.shape[x.rank - 1]} features (shape [${x.shape.join(', ')}])`);
    }
    const y = matmul(x, params[0]!, { transB: true });
    return this.bias ? add(y, params[1]!) : y;
  }

  /**
   * The capture rule: with a the input and δ the output gradient, example i's weight gradient is
   * δᵢ·aᵢᵀ ([out, in], row-major as in θ) and its bias gradient δᵢ (Goodfellow 2015, "Efficient
   * per-example gradient computations"). Inputs of rank > 2 ([n, …, in], e.g. a sequence) sum
   * the outer products over the middle axes: gᵢ = Σₜ δᵢₜ·aᵢₜᵀ.
   */
  perExampleGradients(_params: readonly Tensor[], { input: a, outputGrad: d }: LayerActivity): Tensor {
    const n = a.shape[0]!, out = this.outFeatures, inF = this.inFeatures;
    let weight: Tensor, bias: Tensor | null = null;
    if (a.rank === 2) {
      weight = reshape(mul(reshape(d, [n, out, 1]), reshape(a, [n, 1, inF])), [n, out * inF]);
      if (this.bias) bias = d;
    } else {
      const d3 = reshape(d, [n, -1, out]);
      weight = reshape(matmul(d3, reshape(a, [n, -1, inF]), { transA: true }), [n, out * inF]);
      if (this.bias) bias = sum(d3, 1);
    }
    return bias ? concat([weight, bias], 1) : weight;
  }

  /**
   * The scoring rule: ⟨gᵢ, q_t⟩ = Σₛ δᵢₛᵀ·Q_t·aᵢₛ + (Σₛ δᵢₛ)ᵀ·b_t for every example i and query row t,
   * [n, m], by one GEMM per block of queries (linear-scores.ts) instead of the [n, out·in] gradients.
   */
  scoreCaptured(_params: readonly Tensor[], { input: a, outputGrad: d }: LayerActivity, q: Tensor, memo?: QueryMemo): Tensor {
    return linearScores(a, d, q, this.inFeatures, this.outFeatures, this.bias, { memo });
  }

  /** K-FAC's view: the input rows (the positions of a sequence [n, …, in] each a row). */
  kroneckerView(): KroneckerView {
    return {
      inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias,
      patches: (a) => reshape(a, [a.shape[0]!, -1, this.inFeatures]),
      outputRows: (d) => reshape(d, [d.shape[0]!, -1, this.outFeatures]),
    };
  }

  /** PyTorch's default: U(−1/√in, 1/√in) for weight and bias (kaiming_uniform with a = √5). */
  init(rng: { uniform(): number }): Float64Array[] {
    const bound = 1 / Math.sqrt(this.inFeatures);
    return this.params.map((p) =>
      Float64Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (2 * rng.uniform() - 1) * bound));
  }

  describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias ? '' : ', bias=false'})`;
  }
}
