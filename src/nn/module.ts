import type { QueryMemo } from './query-cache.js';
import type { Tensor } from '../tensor/tensor.js';

/** A named parameter of a layer, in PyTorch layout (Linear weight is [out, in]). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * What a forward and a backward pass see of one parameterised layer for a batch of n examples
 * (Kronfluence's tracked module): its input a and the gradient δ of the summed per-example losses
 * with respect to its output z. Examples are independent, so row i of δ is ∂ℓᵢ/∂zᵢ.
 */
export interface LayerActivity {
  /** The layer input a, [n, …, in]. */
  readonly input: Tensor;
  /** δ = ∂(Σᵢ ℓᵢ)/∂z, [n, …, out] (the shape of the layer output). */
  readonly outputGrad: Tensor;
}

/**
 * How K-FAC sees a layer whose parameters are a weight matrix W [out, in] (row-major, first in the
 * layer's block of θ) and optionally a bias [out] (right after it): the output at each of T
 * positions per example is W·aₜ + b. Linear: the input rows (T = 1, or the positions of a
 * sequence); Conv2d: the unfolded patches (T = output pixels). A = E[Σₜ ãₜãₜᵀ] and G are formed
 * from these rows (Martens & Grosse 2015; KFC, Grosse & Martens 2016).
 */
export interface KroneckerView {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  /** How the weight is laid out in θ: [out, in] (the default, Linear and Conv2d) or [in, out] (Embedding's table). */
  readonly weightLayout?: 'out-in' | 'in-out';
  /** The layer input as rows [n, T, inFeatures]. */
  patches(input: Tensor): Tensor;
  /** The output gradient as rows [n, T, outFeatures], in the same position order. */
  outputRows(outputGrad: Tensor): Tensor;
}

/**
 * A layer's description as JSON (`kind` plus its constructor's settings, e.g. `{ kind: 'linear',
 * inFeatures: 784, outFeatures: 16, bias: true }`): what model files, worker threads and the JSON
 * architecture format rebuild it from (layerFromSpec in ./layer-spec.ts). No parameter values.
 */
export interface LayerSpec {
  readonly kind: string;
  readonly [setting: string]: unknown;
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
  /**
   * Its JSON description (see LayerSpec). Optional: a layer without one works everywhere in
   * process but cannot be saved in an architecture file or sent to a worker thread.
   */
  spec?(): LayerSpec;
  /**
   * The capture rule, optional: per-example gradients of this layer's parameters in closed form
   * from what a forward/backward pass captured (Linear: δᵢ·aᵢᵀ and δᵢ), as [n, Σ param sizes] with
   * the parameters flattened row-major in `params` order. A parameterised layer without it still
   * gets exact per-example gradients, from a per-example vjp of `apply` (slower; see capture.ts).
   */
  perExampleGradients?(params: readonly Tensor[], activity: LayerActivity): Tensor;
  /**
   * The output shape for an input shape (for checks before running), when the layer changes the
   * shape in a way Sequential does not know (Conv2d).
   */
  outputShape?(input: readonly number[]): number[];
  /**
   * K-FAC's view of the layer, when its weight acts as one matrix [out, in] on rows of its input:
   * see KroneckerView. Absent or null: K-FAC cannot factor the layer (UnsupportedLayerError, or a
   * fallback solver for its parameters).
   */
  kroneckerView?(): KroneckerView | null;
  /**
   * The scoring rule, optional: per-example gradients of this layer dotted with m query vectors,
   * score[i, t] = gᵢ·q_t with gᵢ this layer's per-example gradient and q [m, Σ param sizes] rows in
   * the layer's flat parameter layout — returned as [n, m], computed from what a forward/backward
   * pass captured without forming the [n, Σ param sizes] gradients (Linear: δᵢᵀ·Q_t·aᵢ + δᵢᵀ·b_t).
   * A layer without it is scored from its per-example gradients (exact, more memory; capture.ts).
   * `memo` builds what the rule derives from q alone once for all batches (query-cache.ts).
   */
  scoreCaptured?(params: readonly Tensor[], activity: LayerActivity, q: Tensor, memo?: QueryMemo): Tensor;
}
