import { vjp, vjpAtTaps } from '../autodiff/api.js';
import { ShapeError } from '../errors.js';
import { add, concat, matmul, onesLike, reshape, slice, zeros } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { buildEachTime, QueryCache, type QueryMemo } from './query-cache.js';
import type { Captures, LayerCapture, Model, TrackedLayer } from './model.js';

/**
 * Captures of a model for a batch, from one forward and one backward pass: the forward runs with
 * a hook that keeps every parameterised layer's input and taps its output (adds a zero whose
 * gradient is δ = ∂(Σᵢ ℓᵢ)/∂z); one pullback of Σᵢ ℓᵢ then yields every δ at once.
 * `perSampleLoss` maps the model outputs to the per-example losses [n].
 * Works for any Model whose `apply` honours ForwardHooks.
 */
export function captureModel(model: Model, theta: Tensor, x: Tensor, perSampleLoss: (outputs: Tensor) => Tensor): Captures {
  model.checkTheta(theta);
  const sites: TrackedLayer[] = [];
  const { value, kept, pullback } = vjpAtTaps((tap, keep) => {
    const z = model.apply(theta, x, {
      onLayer(site, input, output) {
        sites.push(site);
        keep(input);
        return tap(output);
      },
    });
    return perSampleLoss(z);
  });
  const n = x.shape[0]!;
  if (value.rank !== 1 || value.shape[0] !== n) {
    throw new ShapeError(`capture: the per-sample loss must have shape [${n}], got [${value.shape.join(', ')}]`);
  }
  const grads = pullback(onesLike(value));
  const layers: LayerCapture[] = sites.map((site, i) => ({ name: site.name, site, input: kept[i]!, outputGrad: grads[i]! }));
  return { losses: value, layers };
}

/** A tracked layer's parameter tensors cut out of θ (slices and reshapes). */
export function layerParams(theta: Tensor, site: TrackedLayer): Tensor[] {
  return site.params.map((p) => reshape(slice(theta, [p.offset], [p.size]), p.shape));
}

/**
 * One layer's per-example gradients [n, site.size] from its capture: the layer's closed-form
 * rule when it declares one, otherwise the exact fallback — for each example i, the vjp of
 * p ↦ layer(p, aᵢ) with cotangent δᵢ (n small backward passes through this layer alone; exact
 * because examples are independent, so only row i of δ depends on ℓᵢ).
 */
export function layerPerExampleGradients(theta: Tensor, capture: LayerCapture): Tensor {
  const { site, input, outputGrad } = capture;
  const params = layerParams(theta, site);
  const n = input.shape[0]!;
  if (site.layer.perExampleGradients) {
    const g = site.layer.perExampleGradients(params, capture);
    if (g.rank !== 2 || g.shape[0] !== n || g.shape[1] !== site.size) {
      throw new ShapeError(`${site.layer.describe()}: its capture rule returned [${g.shape.join(', ')}], expected [${n}, ${site.size}]`);
    }
    return g;
  }
  const rows: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const ai = slice(input, [i, ...input.shape.slice(1).map(() => 0)], [1, ...input.shape.slice(1)]);
    const di = slice(outputGrad, [i, ...outputGrad.shape.slice(1).map(() => 0)], [1, ...outputGrad.shape.slice(1)]);
    const gs = vjp((ps: Tensor[]) => site.layer.apply(ps, ai), params).pullback(di);
    rows.push(reshape(concat(gs.map((g) => reshape(g, [-1])), 0), [1, site.size]));
  }
  return concat(rows, 0);
}

/**
 * Per-example gradients [n, P] in θ's layout, assembled from captures: each tracked layer's block
 * (its rule or the exact fallback) placed at its offset. Parameters of no captured layer (none in
 * a Sequential) get zero columns.
 */
export function perExampleGradientsFromCaptures(model: Model, theta: Tensor, captures: Captures): Tensor {
  const n = captures.losses.shape[0]!;
  const blocks: Tensor[] = [];
  let at = 0;
  const sorted = [...captures.layers].sort((a, b) => a.site.offset - b.site.offset);
  for (const c of sorted) {
    if (c.site.offset < at) throw new ShapeError(`capture: layer ${c.name} was captured twice or overlaps another layer's parameters`);
    if (c.site.offset > at) blocks.push(zeros([n, c.site.offset - at], theta.dtype));
    blocks.push(layerPerExampleGradients(theta, c));
    at = c.site.offset + c.site.size;
  }
  if (at < model.numParams) blocks.push(zeros([n, model.numParams - at], theta.dtype));
  if (blocks.length === 0) return zeros([n, 0], theta.dtype);
  return blocks.length === 1 ? blocks[0]! : concat(blocks, 1);
}

/**
 * One layer's scores [n, m]: its per-example gradients gᵢ (its block of θ) dotted with the rows of
 * q [m, site.size] (the layer's slice of m query vectors), score[i, t] = gᵢ·q_t. The layer's
 * scoring rule when it declares one (Linear: no [n, site.size] matrix is formed); otherwise its
 * per-example gradients (rule or exact fallback) times qᵀ — exact, never an error.
 */
export function layerScores(theta: Tensor, capture: LayerCapture, q: Tensor, memo?: QueryMemo): Tensor {
  const { site, input } = capture;
  const n = input.shape[0]!, m = q.shape[0]!;
  if (q.rank !== 2 || q.shape[1] !== site.size) {
    throw new ShapeError(`layer ${capture.name}: queries must be [m, ${site.size}], got [${q.shape.join(', ')}]`);
  }
  if (site.layer.scoreCaptured) {
    const s = site.layer.scoreCaptured(layerParams(theta, site), capture, q, memo);
    if (s.rank !== 2 || s.shape[0] !== n || s.shape[1] !== m) {
      throw new ShapeError(`${site.layer.describe()}: its scoring rule returned [${s.shape.join(', ')}], expected [${n}, ${m}]`);
    }
    return s;
  }
  return matmul(layerPerExampleGradients(theta, capture), q, { transB: true });
}

/**
 * Scores of a batch's per-example gradients against m query vectors q [m, P] (θ's layout), from
 * its captures: [n, m] with entry [i, t] = ∇θℓᵢ·q_t = Σ_layers (layer block of ∇θℓᵢ)·(its slice
 * of q_t) — the s_test products of influence scoring without the [n, P] gradient matrix. Parameters
 * of no captured layer contribute nothing (their per-example gradient is zero, as in
 * perExampleGradientsFromCaptures). Queries held in a QueryCache keep each layer's slice (and the
 * layouts its rule derives from it) for the next batch.
 */
export function scoresFromCaptures(model: Model, theta: Tensor, captures: Captures, queries: Tensor | QueryCache): Tensor {
  const cache = queries instanceof QueryCache ? queries : null;
  const q = cache ? cache.q : queries as Tensor;
  const n = captures.losses.shape[0]!;
  if (q.rank !== 2 || q.shape[1] !== model.numParams) {
    throw new ShapeError(`scores: queries must be [m, ${model.numParams}], got [${q.shape.join(', ')}]`);
  }
  const m = q.shape[0]!;
  let total: Tensor | null = null;
  let at = 0;
  const sorted = [...captures.layers].sort((a, b) => a.site.offset - b.site.offset);
  for (const c of sorted) {
    if (c.site.offset < at) throw new ShapeError(`capture: layer ${c.name} was captured twice or overlaps another layer's parameters`);
    const memo = cache?.memo(`${c.site.offset}`) ?? buildEachTime;
    const ql = memo('slice', () => slice(q, [0, c.site.offset], [m, c.site.size]));
    const s = layerScores(theta, c, ql, memo);
    total = total ? add(total, s) : s;
    at = c.site.offset + c.site.size;
  }
  return total ?? zeros([n, m], theta.dtype);
}
