import { ShapeError } from '../errors.js';
import { add, matmul } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Layer, ParamSpec } from './module.js';

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

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input has ${x.shape[x.rank - 1]} features (shape [${x.shape.join(', ')}])`);
    }
    const y = matmul(x, params[0]!, { transB: true });
    return this.bias ? add(y, params[1]!) : y;
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
