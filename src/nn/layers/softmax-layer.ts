import { InputError, ShapeError } from '../../errors.js';
import { logSoftmax, softmax } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerSpec } from '../module.js';

/**
 * Softmax or log-softmax over the last axis (torch.nn.Softmax(dim=-1) / LogSoftmax), for models
 * that end in one (an exported classifier often does). Note that the losses expect logits: a model
 * ending in Softmax is differentiated as it is, probabilities fed to the loss.
 */
export class SoftmaxLayer implements Layer {
  readonly params = [];
  constructor(readonly kind: 'softmax' | 'logsoftmax') {
    if (kind !== 'softmax' && kind !== 'logsoftmax') throw new InputError(`SoftmaxLayer: kind must be 'softmax' or 'logsoftmax', got ${JSON.stringify(kind)}`);
  }
  outputShape(input: readonly number[]): number[] {
    if (input.length < 2) throw new ShapeError(`${this.describe()}: expected inputs [N, …, classes], got [${input.join(', ')}]`);
    return [...input];
  }
  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    return this.kind === 'softmax' ? softmax(x, -1) : logSoftmax(x, -1);
  }
  init(): Float64Array[] {
    return [];
  }
  spec(): LayerSpec {
    return { kind: this.kind };
  }
  describe(): string {
    return this.kind === 'softmax' ? 'Softmax(dim=-1)' : 'LogSoftmax(dim=-1)';
  }
}
