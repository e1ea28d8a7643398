import type { DType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { add, concat, reshape, split, tensor } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { activation } from './activations.js';
import { Linear } from './linear.js';
import type { Layer, ParamSpec } from './module.js';

/** A named parameter in the flat vector θ: PyTorch state_dict name, shape and offset. */
export interface FlatParam extends ParamSpec {
  readonly layer: number;
  readonly offset: number;
  readonly size: number;
}

export interface ForwardOptions {
  /** Added to each Linear layer's output, in order (zero tensors whose gradient is ∂ℓ/∂z). */
  taps?: readonly Tensor[];
  /** Receives each Linear layer's input, in order. */
  record?: Tensor[];
}

/**
 * Layers applied in order, as a function of one flat parameter vector θ laid out like
 * torch.nn.Sequential's state_dict: `0.weight`, `0.bias`, `2.weight`, … (index = position).
 */
export class Sequential {
  readonly layers: readonly Layer[];
  readonly flatParams: readonly FlatParam[];
  readonly numParams: number;

  constructor(layers: readonly Layer[]) {
    if (layers.length === 0) throw new ShapeError('Sequential: needs at least one layer');
    this.layers = [...layers];
    const flat: FlatParam[] = [];
    let offset = 0;
    this.layers.forEach((layer, i) => {
      for (const p of layer.params) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        flat.push({ name: `${i}.${p.name}`, shape: p.shape, layer: i, offset, size });
        offset += size;
      }
    });
    this.flatParams = flat;
    this.numParams = offset;
  }

  /**
   * An MLP from layer widths, e.g. [784, 16, 10] with an activation between Linear layers;
   * [13, 3] is (multinomial) logistic regression.
   */
  static mlp(widths: readonly number[], activationName = 'tanh'): Sequential {
    if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new InputError(`mlp: widths must be ≥ 2 positive integers, got ${JSON.stringify(widths)}`);
    }
    const layers: Layer[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      if (i > 0) layers.push(activation(activationName));
      layers.push(new Linear(widths[i]!, widths[i + 1]!));
    }
    return new Sequential(layers);
  }

  get inFeatures(): number {
    const first = this.layers.find((l): l is Linear => l instanceof Linear);
    if (!first) throw new ShapeError('Sequential: no Linear layer to read the input width from');
    return first.inFeatures;
  }

  get outFeatures(): number {
    const last = [...this.layers].reverse().find((l): l is Linear => l instanceof Linear);
    if (!last) throw new ShapeError('Sequential: no Linear layer to read the output width from');
    return last.outFeatures;
  }

  /** Per-layer parameter tensors cut out of θ (slices and reshapes: differentiable). */
  unflatten(theta: Tensor): Tensor[][] {
    this.checkTheta(theta);
    const parts = split(theta, this.flatParams.map((p) => p.size));
    const perLayer: Tensor[][] = this.layers.map(() => []);
    this.flatParams.forEach((p, i) => perLayer[p.layer]!.push(reshape(parts[i]!, p.shape)));
    return perLayer;
  }

  /** θ from per-parameter tensors in state_dict order. */
  flatten(params: readonly Tensor[]): Tensor {
    if (params.length !== this.flatParams.length) {
      throw new ShapeError(`flatten: expected ${this.flatParams.length} parameter tensors, got ${params.length}`);
    }
    params.forEach((t, i) => {
      const p = this.flatParams[i]!;
      if (t.size !== p.size) throw new ShapeError(`flatten: ${p.name} needs shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`);
    });
    return concat(params.map((t) => reshape(t, [-1])), 0);
  }

  /** The model output for a batch x of shape [batch, inFeatures]. */
  apply(theta: Tensor, x: Tensor, options: ForwardOptions = {}): Tensor {
    const perLayer = this.unflatten(theta);
    let h = x;
    let linearIndex = 0;
    this.layers.forEach((layer, i) => {
      if (layer instanceof Linear) {
        options.record?.push(h);
        h = layer.apply(perLayer[i]!, h);
        const tap = options.taps?.[linearIndex];
        if (tap) h = add(h, tap);
        linearIndex++;
      } else {
        h = layer.apply(perLayer[i]!, h);
      }
    });
    return h;
  }

  /** Fresh parameters as torch.nn.Linear initialises them, from a seeded generator. */
  init(options: { seed?: number; dtype?: DType } = {}): Tensor {
    const rng = new Random(options.seed ?? 0);
    const values = new Float64Array(this.numParams);
    let at = 0;
    for (const layer of this.layers) for (const p of layer.init(rng)) { values.set(p, at); at += p.length; }
    return tensor(values, [this.numParams], options.dtype ?? 'float32');
  }

  /** The Linear layers with the offsets of their weight and bias in θ. */
  linearLayers(): { layer: Linear; weight: FlatParam; bias: FlatParam | null }[] {
    return this.layers.flatMap((layer, i) => {
      if (!(layer instanceof Linear)) return [];
      const weight = this.flatParams.find((p) => p.layer === i && p.name.endsWith('.weight'))!;
      const bias = this.flatParams.find((p) => p.layer === i && p.name.endsWith('.bias')) ?? null;
      return [{ layer, weight, bias }];
    });
  }

  describe(): string {
    return `Sequential(${this.layers.map((l) => l.describe()).join(', ')})`;
  }

  checkTheta(theta: Tensor): void {
    if (theta.rank !== 1 || theta.size !== this.numParams) {
      throw new ShapeError(`${this.describe()} has ${this.numParams} parameters, got θ of shape [${theta.shape.join(', ')}]`);
    }
  }
}
