import { InputError, ShapeError } from '../errors.js';
import { concat, reshape, slice, softmax, tidy } from '../tensor/index.js';
import { Tensor } from '../tensor/tensor.js';
import type { Loss, LossName } from '../nn/losses.js';
import { batchOf, Objective, type Dataset } from '../nn/objective.js';

/**
 * A per-example function of the model outputs whose influence is measured (the "f" of the output
 * change ∇θf(z_test)ᵀ·Δθ in the reference tutorial 002_7d5b2182e0d2bf0b.txt, §3):
 *   'loss'            the training loss ℓ(f(x; θ), y) itself (I_up,loss)
 *   { logit: k }      the k-th model output zₖ
 *   { probability: k } softmax(z)ₖ
 *   a function        (outputs [batch, out], targets) ↦ one scalar per example, shape [batch];
 *                     row i of the result must depend on row i of the outputs only.
 */
export type OutputSpec = 'loss' | { logit: number } | { probability: number } | OutputFunction;
export type OutputFunction = (outputs: Tensor, targets: Tensor) => Tensor;

/** A short label for reports: 'loss', 'logit[3]', 'probability[3]', 'function'. */
export function describeOutput(output: OutputSpec): string {
  if (output === 'loss') return 'loss';
  if (typeof output === 'function') return 'function';
  if ('logit' in output) return `logit[${output.logit}]`;
  return `probability[${output.probability}]`;
}

/** Checks an output spec against a model's output width (typed errors before any work). */
export function checkOutput(output: OutputSpec, outFeatures: number): void {
  if (output === 'loss' || typeof output === 'function') return;
  if (output === null || typeof output !== 'object') {
    throw new InputError(`output must be 'loss', {logit: k}, {probability: k} or a function, got ${String(output)}`);
  }
  const k = 'logit' in output ? output.logit : 'probability' in output ? output.probability : undefined;
  if (k === undefined) throw new InputError(`output must be 'loss', {logit: k}, {probability: k} or a function, got ${JSON.stringify(output)}`);
  if (!Number.isInteger(k) || k < 0 || k >= outFeatures) {
    throw new InputError(`output index must be an integer in [0, ${outFeatures}), got ${k}`);
  }
}

/** The output spec as a Loss-shaped per-example function (so per-sample gradients apply to it). */
function asPerSample(output: OutputSpec, loss: Loss): Loss {
  if (output === 'loss') return loss;
  const per = (z: Tensor, y: Tensor): Tensor => {
    const b = z.shape[0]!;
    if (typeof output === 'function') {
      const r = output(z, y);
      if (!(r instanceof Tensor)) throw new ShapeError(`output function must return a Tensor of shape [${b}], got ${typeof r}`);
      if (!(r.size === b && (r.rank === 1 || (r.rank === 2 && r.shape[1] === 1)))) {
        throw new ShapeError(`output function must return one scalar per example, shape [${b}]; got [${r.shape.join(', ')}]`);
      }
      return reshape(r, [b]);
    }
    if ('logit' in output) return reshape(slice(z, [0, output.logit], [b, 1]), [b]);
    return reshape(slice(softmax(z, -1), [0, output.probability], [b, 1]), [b]);
  };
  return { name: loss.name as LossName, perSample: per, validate: (z, y) => loss.validate(z, y) };
}

/**
 * Per-example gradients ∇θ f(zᵢ; θ) [n, P] of the chosen output, batch by batch (no weight decay:
 * the regulariser is not part of a test point's measurement).
 */
export function outputGradients(objective: Objective, theta: Tensor, data: Dataset, output: OutputSpec = 'loss', batchSize = 1024): Tensor {
  checkOutput(output, objective.model.outFeatures);
  objective.validate(data);
  const measured = output === 'loss' ? objective : new Objective(objective.model, asPerSample(output, objective.loss), 0);
  return tidy(() => {
    const n = data.x.shape[0]!;
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) parts.push(measured.perSampleGradients(theta, batchOf(data, start, batchSize)));
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  });
}

/** The chosen output's value per example, [n]. */
export function outputValues(objective: Objective, theta: Tensor, data: Dataset, output: OutputSpec = 'loss'): Tensor {
  checkOutput(output, objective.model.outFeatures);
  objective.validate(data);
  return tidy(() => asPerSample(output, objective.loss).perSample(objective.model.apply(theta, data.x), data.y));
}
