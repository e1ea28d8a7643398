import { linearBatched, vjpAtTaps } from '../autodiff/api.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Model, TrackedLayer } from './model.js';

/** One forward pass of a model kept open for several backward passes (see captureOutputs). */
export interface OutputCaptures {
  /** The model outputs z [n, …]. */
  readonly outputs: Tensor;
  /** Every parameterised layer, in forward order, with its input a [n, …, in]. */
  readonly layers: readonly { readonly site: TrackedLayer; readonly input: Tensor }[];
  /**
   * δ for a cotangent of the outputs: for each layer (same order), ctᵀ·∂z/∂(layer output),
   * [n, …, out]. Row i depends only on row i of ct (examples are independent).
   */
  pullback(ct: Tensor): Tensor[];
  /**
   * pullback for K cotangents at once, cts [K, …outputs.shape] → for each layer [K, n, …, out]: one
   * backward pass whose GEMMs carry the K rows together (linearBatched). Throws BatchingUnsupported
   * when a layer's primitives have no batched rule (then call pullback per cotangent).
   */
  pullbackBatched(cts: Tensor): Tensor[];
}

/**
 * One forward pass that keeps every parameterised layer's input and taps its output, returning a
 * pullback from the model outputs to every layer output. Unlike captureModel (one loss, one
 * backward pass) the pullback may be called many times on the same forward pass: K-FAC's
 * Gauss–Newton form backpropagates each column of the output Hessian's square root (one backward
 * pass per column, no weight gradients — only the layer-output gradients are formed).
 */
export function captureOutputs(model: Model, theta: Tensor, x: Tensor): OutputCaptures {
  model.checkTheta(theta);
  const sites: TrackedLayer[] = [];
  const { value, kept, pullback } = vjpAtTaps((tap, keep) => model.apply(theta, x, {
    onLayer(site, input, output) {
      sites.push(site);
      keep(input);
      return tap(output);
    },
  }));
  const pullbackBatched = (cts: Tensor): Tensor[] => linearBatched(pullback, value, cts);
  return { outputs: value, layers: sites.map((site, i) => ({ site, input: kept[i]! })), pullback, pullbackBatched };
}
