import type { DType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { add, concat, reshape, split, tensor } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { activation } from './layers/activations.js';
import { Linear } from './layers/linear.js';
import { captureModel } from './capture.js';
import type { Captures, FlatParam, ForwardHooks, Model, TrackedLayer } from './model.js';
import { layerSpec } from './layers/layer-spec.js';
import { layerOutputShape } from './layers/shape-rules.js';
import type { Layer, LayerSpec } from './module.js';

export type { FlatParam } from './model.js';

/** Layer kinds whose output has their input's shape (checkInput follows them). */
const SHAPE_PRESERVING = new Set(['tanh', 'sigmoid', 'relu', 'gelu', 'softplus', 'silu', 'dropout']);

export interface ForwardOptions extends ForwardHooks {
  /**
   * Added to each Linear layer's output, in order (zero tensors whose gradient is ∂ℓ/∂z).
   * @deprecated Linear-only; use `capture()` (or the `onLayer` hook), which serves every layer.
   */
  taps?: readonly Tensor[];
  /**
   * Receives each Linear layer's input, in order.
   * @deprecated Linear-only; use `capture()` (or the `onLayer` hook), which serves every layer.
   */
  record?: Tensor[];
}

/**
 * Layers applied in order, as a function of one flat parameter vector θ laid out like
 * torch.nn.Sequential's state_dict: `0.weight`, `0.bias`, `2.weight`, … (index = position).
 * Each layer sees the previous layer's output whatever its rank; a Model (see model.ts).
 */
export class Sequential implements Model {
  readonly layers: readonly Layer[];
  readonly flatParams: readonly FlatParam[];
  readonly numParams: number;
  private readonly tracked: readonly TrackedLayer[];

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
    this.tracked = this.layers.flatMap((layer, i) => {
      const params = flat.filter((p) => p.layer === i);
      if (params.length === 0) return [];
      return [{ name: String(i), index: i, layer, params, offset: params[0]!.offset, size: params.reduce((a, p) => a + p.size, 0) }];
    });
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

  /**
   * The model output for a batch x of shape [batch, …] ([batch, inFeatures] for an MLP). The
   * hook `onLayer` sees every parameterised layer's input and output (see capture()).
   */
  apply(theta: Tensor, x: Tensor, options: ForwardOptions = {}): Tensor {
    const perLayer = this.unflatten(theta);
    const sites = options.onLayer ? new Map(this.tracked.map((t) => [t.index, t])) : null;
    let h = x;
    let linearIndex = 0;
    this.layers.forEach((layer, i) => {
      const input = h;
      if (layer instanceof Linear) {
        options.record?.push(h);
        h = layer.apply(perLayer[i]!, h);
        const tap = options.taps?.[linearIndex];
        if (tap) h = add(h, tap);
        linearIndex++;
      } else {
        h = layer.apply(perLayer[i]!, h);
      }
      const site = sites?.get(i);
      if (site) h = options.onLayer!(site, input, h);
    });
    return h;
  }

  /** The parameterised layers in θ order, named by their index (the state_dict prefix). */
  trackedLayers(): readonly TrackedLayer[] {
    return this.tracked;
  }

  /**
   * One forward and one backward pass over a batch: for every parameterised layer, its input
   * a [n, …, in] and the gradient δ [n, …, out] of Σᵢ ℓᵢ w.r.t. its output, ℓ = perSampleLoss(outputs)
   * of shape [n]. What per-example gradients, K-FAC and EK-FAC are built from (see Captures).
   */
  capture(theta: Tensor, x: Tensor, perSampleLoss: (outputs: Tensor) => Tensor): Captures {
    return captureModel(this, theta, x, perSampleLoss);
  }

  /**
   * Checks a batch of inputs: rank ≥ 2 ([N, features…]) and, through the layers whose shape rule
   * is known (Linear acts on the last axis, Flatten merges all but the first, activations keep the
   * shape), the widths each Linear expects. Returns the output shape; past a layer whose shape rule
   * it does not know it stops checking and answers [N, outFeatures].
   */
  checkInput(x: { readonly shape: readonly number[] }, what = 'inputs'): readonly number[] {
    if (x.shape.length < 2) throw new ShapeError(`${what}: inputs must be [N, features] (or [N, …]), got [${x.shape.join(', ')}]`);
    let shape: number[] | null = [...x.shape];
    for (const layer of this.layers) {
      if (!shape) break;
      if (layer instanceof Linear) {
        const width = shape[shape.length - 1]!;
        if (width !== layer.inFeatures) {
          const where = layer === this.layers.find((l) => l instanceof Linear) ? '' : ` at ${layer.describe()} (input shape [${x.shape.join(', ')}])`;
          throw new ShapeError(`${what}: inputs have ${width} features, ${this.describe()} expects ${layer.inFeatures}${where}`);
        }
        shape[shape.length - 1] = layer.outFeatures;
      } else if (layer.kind === 'flatten') {
        shape = [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)];
      } else if (layer.outputShape) {
        shape = layer.outputShape(shape);
      } else if (!SHAPE_PRESERVING.has(layer.kind)) {
        shape = null;
      }
    }
    return shape ?? [x.shape[0]!, this.outFeatures];
  }

  valuesPerExample(exampleShape?: readonly number[]): number | null {
    if (!exampleShape) return null;
    let shape: number[] | null = [1, ...exampleShape];
    let total = 0;
    for (const layer of this.layers) {
      shape = layerOutputShape(layer, shape);
      if (!shape) return null;
      total += shape.reduce((a, b) => a * b, 1);
    }
    return total;
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

  /** Each layer's JSON description (ModelSpec); an InputError for a layer without spec(). */
  layerSpecs(): LayerSpec[] {
    return this.layers.map((l) => layerSpec(l));
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
