import { InputError, ShapeError } from '../../errors.js';
import { reshape } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerSpec } from '../module.js';

/**
 * Reshapes each example, keeping the batch axis: [N, …] → [N, ...shape], with at most one −1
 * standing for what is left (what `x.view(x.size(0), …)` and ONNX Reshape do in exported models).
 */
export class Reshape implements Layer {
  readonly kind = 'reshape';
  readonly params = [];
  readonly shape: readonly number[];

  constructor(shape: readonly number[]) {
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) || shape.filter((d) => d === -1).length > 1) {
      throw new InputError(`Reshape: the per-example shape must be positive integers with at most one −1, got ${JSON.stringify(shape)}`);
    }
    this.shape = [...shape];
  }

  outputShape(input: readonly number[]): number[] {
    const size = input.slice(1).reduce((a, b) => a * b, 1);
    const known = this.shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const free = this.shape.includes(-1) ? size / known : 1;
    if (input.length < 1 || !Number.isInteger(free) || known * free !== size) {
      throw new ShapeError(`${this.describe()}: cannot reshape examples of shape [${input.slice(1).join(', ')}] (${size} values) to [${this.shape.join(', ')}]`);
    }
    return [input[0]!, ...this.shape.map((d) => (d === -1 ? free : d))];
  }

  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    return reshape(x, this.outputShape(x.shape));
  }

  init(): Float64Array[] {
    return [];
  }

  spec(): LayerSpec {
    return { kind: this.kind, shape: [...this.shape] };
  }

  describe(): string {
    return `Reshape(${this.shape.join(', ')})`;
  }
}
