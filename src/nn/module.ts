import type { Tensor } from '../tensor/tensor.js';

/** A named parameter of a layer, in PyTorch layout (Linear weight is [out, in]). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * A layer as a pure function of its parameters: `apply(params, x)`. Keeping parameters outside the
 * layer lets every curvature quantity treat the model as a function of one flat vector θ.
 */
export interface Layer {
  readonly kind: string;
  readonly params: readonly ParamSpec[];
  apply(params: readonly Tensor[], x: Tensor): Tensor;
  /** Initial parameter values (flat, in `params` order), from a seeded generator. */
  init(rng: { uniform(): number }): Float64Array[];
  /** Human-readable description, e.g. "Linear(784, 16)". */
  describe(): string;
}
