import { vjp } from '../../autodiff/api.js';
import { BatchingUnsupported } from '../../autodiff/trace.js';
import { InputError } from '../../errors.js';
import { cast, concat, mul, onesLike, reshape, slice } from '../../tensor/index.js';
import { Random } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { captureOutputs, type OutputCaptures } from '../../nn/capture-outputs.js';
import type { Loss } from '../../nn/losses.js';
import type { Dataset, Objective } from '../../nn/objective.js';
import type { KroneckerLayout } from './layout.js';

/**
 * How the output gradients g behind G = E[g gᵀ] are formed (the expectation K-FAC takes):
 *   - 'gauss-newton': the exact expectation over the model's predictive distribution —
 *     backpropagate each column cₖ of the output Hessian's square root (H_ℓ = Σₖ cₖcₖᵀ), so that
 *     Σₖ δₖδₖᵀ is the layer's block of Jᵀ H_ℓ J (the Gauss–Newton form; George et al. 2018's
 *     reference choice);
 *   - 'sampled-fisher': the true Fisher with labels drawn from the model, `fisherSamples` per
 *     example, each weighted 1/samples (Kronfluence's default);
 *   - 'empirical-fisher': the given labels (g = ∂ℓ(f(x), y)/∂z).
 */
export type KroneckerForm = 'gauss-newton' | 'sampled-fisher' | 'empirical-fisher';

export const KRONECKER_FORMS: readonly KroneckerForm[] = ['gauss-newton', 'sampled-fisher', 'empirical-fisher'];

/** The form and its sampling: one generator per sample index, so the draws do not depend on the batch size. */
export interface FormSampler {
  readonly form: KroneckerForm;
  readonly samples: number;
  readonly rngs: readonly Random[];
}

export function formSampler(form: KroneckerForm, fisherSamples: number, seed: number): FormSampler {
  const samples = form === 'sampled-fisher' ? fisherSamples : 1;
  return { form, samples, rngs: Array.from({ length: samples }, (_, s) => new Random((seed + Math.imul(s, 0x2545f491)) >>> 0)) };
}

/** ∂ℓ(z, y)/∂z per example, [n, …] (the loss gradient at the outputs, no model pass). */
function outputGradient(loss: Loss, z: Tensor, y: Tensor): Tensor {
  const { value, pullback } = vjp((zz: Tensor) => loss.perSample(zz, y), z);
  return pullback(onesLike(value));
}

/**
 * The output cotangents [K, n, …] whose backpropagated δₖ give G = (1/N)·Σₙ Σₖ δₙₖδₙₖᵀ for the
 * form (sampled gradients are scaled by 1/√samples so that the sum is the sample mean).
 */
export function outputCotangents(loss: Loss, z: Tensor, y: Tensor, sampler: FormSampler): Tensor {
  if (sampler.form === 'empirical-fisher') return reshape(outputGradient(loss, z, y), [1, ...z.shape]);
  if (sampler.form === 'gauss-newton') {
    if (!loss.outputHessianSqrt) {
      throw new InputError(`K-FAC: the loss '${loss.name}' declares no output-Hessian square root; use the sampled or empirical Fisher form`);
    }
    const c = loss.outputHessianSqrt(z);
    return reshape(c, [c.shape[0]!, ...z.shape]);
  }
  if (!loss.sampleTargets) throw new InputError(`K-FAC: the loss '${loss.name}' cannot sample targets; use the Gauss–Newton or empirical Fisher form`);
  const scale = 1 / Math.sqrt(sampler.samples);
  const parts = sampler.rngs.map((rng) => reshape(mul(outputGradient(loss, z, loss.sampleTargets!(z, rng)), scale), [1, ...z.shape]));
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

/**
 * One factored layer's activity on a batch of n examples with T positions each (its Kronecker
 * view's rows: T = 1 for inputs [n, in], the positions of a sequence, a convolution's output
 * pixels): its input rows a [n·T, in] (without the homogeneous 1: callers add its terms in closed
 * form rather than copying a wider matrix) and the K gradient columns stacked, [K, n·T, out].
 */
export interface KroneckerActivity {
  readonly input: Tensor;
  readonly deltas: Tensor;
  readonly n: number;
  readonly positions: number;
}

/**
 * The K backward passes of the cotangents cts [K, …z] as per-layer stacks [K, n, …, out]: one
 * batched pass (its GEMMs carry the K columns together), or, for a model with a primitive that has
 * no batched rule, K passes stacked.
 */
function layerColumns(cap: OutputCaptures, cts: Tensor): Tensor[] {
  try {
    return cap.pullbackBatched(cts);
  } catch (err) {
    if (!(err instanceof BatchingUnsupported)) throw err;
  }
  const z = cap.outputs, K = cts.shape[0]!;
  const perColumn = Array.from({ length: K }, (_, k) => cap.pullback(reshape(slice(cts, [k, ...z.shape.map(() => 0)], [1, ...z.shape]), z.shape)));
  return cap.layers.map((_, i) => concat(perColumn.map((cols) => reshape(cols[i]!, [1, ...cols[i]!.shape])), 0));
}

/**
 * One forward pass and the backward passes of the K output cotangents (layer-output gradients
 * only, in one batched pass: layerColumns) over a batch: every factored layer's homogeneous input
 * and output-gradient columns. T is the number of positions per example (1 for inputs [n, in]; a
 * sequence [n, T, in] shares the weight).
 */
export function batchActivity(objective: Objective, theta: Tensor, layouts: readonly KroneckerLayout[], batch: Dataset, sampler: FormSampler): KroneckerActivity[] {
  const cap = captureOutputs(objective.model, theta, batch.x);
  const z = cap.outputs, n = z.shape[0]!;
  const cts = outputCotangents(objective.loss, z, batch.y, sampler);
  const K = cts.shape[0]!;
  const columns = layerColumns(cap, cts);
  const index = new Map(cap.layers.map((c, i) => [c.site.name, i]));
  return layouts.map((l) => {
    const i = index.get(l.name);
    if (i === undefined) throw new InputError(`K-FAC: layer '${l.name}' did not run in the forward pass`);
    const view = cap.layers[i]!.site.layer.kroneckerView?.();
    if (!view) throw new InputError(`K-FAC: layer '${l.name}' has no Kronecker view`);
    const raw = view.patches(cap.layers[i]!.input);
    // A layer whose input is not in θ's dtype (an embedding's integer ids) gives its rows in θ's.
    const patches = raw.dtype === theta.dtype ? raw : cast(raw, theta.dtype);
    const positions = patches.shape[1]!;
    return {
      input: reshape(patches, [n * positions, l.inFeatures]), n, positions,
      deltas: reshape(view.outputRows(reshape(columns[i]!, [K * n, ...columns[i]!.shape.slice(2)])), [K, n * positions, l.outFeatures]),
    };
  });
}
