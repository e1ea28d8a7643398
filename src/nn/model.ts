import type { Tensor } from '../tensor/tensor.js';
import type { Layer, LayerActivity, ParamSpec } from './module.js';

/** A named parameter in the flat vector θ: PyTorch state_dict name, shape and offset. */
export interface FlatParam extends ParamSpec {
  /** The position of its layer in the model. */
  readonly layer: number;
  readonly offset: number;
  readonly size: number;
}

/**
 * A parameterised layer of a model (Kronfluence's tracked module): its name (the state_dict prefix,
 * e.g. '2' for `2.weight`), the layer and where its parameters sit in θ — contiguously, in
 * `layer.params` order, so [offset, offset + size) of θ is this layer's block.
 */
export interface TrackedLayer {
  readonly name: string;
  /** The position of the layer in the model. */
  readonly index: number;
  readonly layer: Layer;
  readonly params: readonly FlatParam[];
  readonly offset: number;
  readonly size: number;
}

/** Hooks of a forward pass. */
export interface ForwardHooks {
  /**
   * Called after every parameterised layer ran, with its input and output; the forward pass goes
   * on with what it returns (the output itself, or the output plus a zero tap to differentiate at).
   */
  onLayer?(site: TrackedLayer, input: Tensor, output: Tensor): Tensor;
}

/** One parameterised layer's capture for a batch: its activity (input a, output gradient δ) and name. */
export interface LayerCapture extends LayerActivity {
  readonly name: string;
  readonly site: TrackedLayer;
}

/**
 * What one forward and one backward pass capture for a batch of n examples: the per-example
 * losses and, for every parameterised layer in θ order, its input a [n, …, in] and output
 * gradient δ [n, …, out] (row i: ∂ℓᵢ/∂zᵢ — the gradient of the *sum* of per-example losses).
 * Per-example gradients (δᵢaᵢᵀ for Linear), K-FAC factors (A = E[aaᵀ], G = E[δδᵀ]) and EK-FAC
 * corrections are all built from these.
 */
export interface Captures {
  /** ℓᵢ, shape [n]. */
  readonly losses: Tensor;
  readonly layers: readonly LayerCapture[];
}

/**
 * A model as a function of one flat parameter vector θ (what Objective, the curvature operators
 * and influence functions need). Sequential implements it.
 */
export interface Model {
  readonly numParams: number;
  /** The width of the output's last axis (the number of classes for cross-entropy). */
  readonly outFeatures: number;
  /** θ's layout: every parameter with its state_dict name, shape and offset, in θ order. */
  readonly flatParams: readonly FlatParam[];
  /** The model output for a batch x [n, …] (inputs of any rank the layers accept). */
  apply(theta: Tensor, x: Tensor, hooks?: ForwardHooks): Tensor;
  /** The parameterised layers, in θ order (their blocks tile θ). */
  trackedLayers(): readonly TrackedLayer[];
  /** One forward and one backward pass: every parameterised layer's input and output gradient. */
  capture(theta: Tensor, x: Tensor, perSampleLoss: (outputs: Tensor) => Tensor): Captures;
  /** Checks the shape of a batch of inputs (typed errors) and returns the output shape it gives. */
  checkInput(x: { readonly shape: readonly number[] }, what?: string): readonly number[];
  checkTheta(theta: Tensor): void;
  describe(): string;
  /**
   * How many values one example's forward pass produces (the outputs of every layer), for an
   * example of the given shape (no batch axis); null when unknown. Optional: the curvature
   * operators use it to keep a batched product's tangents within a memory budget.
   */
  valuesPerExample?(exampleShape?: readonly number[]): number | null;
}
