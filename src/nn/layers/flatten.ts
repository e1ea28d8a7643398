import { ShapeError } from '../../errors.js';
import { reshape } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerSpec } from '../module.js';

/** [N, d₁, …, d_k] → [N, d₁·…·d_k] (torch.nn.Flatten with its defaults): no parameters. */
export class Flatten implements Layer {
  readonly kind = 'flatten';
  readonly params = [];
  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    return x.rank === 2 ? x : reshape(x, [x.shape[0]!, -1]);
  }
  init(): Float64Array[] {
    return [];
  }
  outputShape(input: readonly number[]): number[] {
    if (input.length < 2) throw new ShapeError(`Flatten(): expected inputs [N, …], got [${input.join(', ')}]`);
    return [input[0]!, input.slice(1).reduce((a, b) => a * b, 1)];
  }
  describe(): string {
    return 'Flatten()';
  }
  spec(): LayerSpec {
    return { kind: this.kind };
  }
}
