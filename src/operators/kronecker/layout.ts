import { InputError, UnsupportedLayerError } from '../../errors.js';
import { concat, ones, reshape, slice, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Model } from '../../nn/model.js';
import type { Block } from '../blocks.js';

/**
 * Where a Linear layer sits in θ and how its gradient is read as a matrix: the weight W [out, in]
 * row-major, then the bias b [out] (when it has one). K-FAC treats the bias as a homogeneous
 * coordinate: the input ã = [a; 1] (inDim = in + 1) and the gradient Ĝ = δ·ãᵀ [out, inDim], whose
 * last column is the bias gradient (Martens & Grosse 2015, §A).
 */
export interface KroneckerLayout {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
  /** inFeatures + 1 with a bias, else inFeatures. */
  readonly inDim: number;
  /** The weight is stored [in, out] in θ (Embedding's [num_embeddings, dim]); absent: [out, in]. */
  readonly transposed?: true;
}

/** What to do with a parameterised layer K-FAC cannot factor: raise, or leave it out (a caller's fallback solves it). */
export type UnfactoredPolicy = 'error' | 'skip';

/**
 * The layers of a model that offer a Kronecker view (Linear; Conv2d with one group: see
 * KroneckerView in nn/module.ts) as Kronecker blocks, and the parameter ranges it cannot factor
 * (any other parameterised layer, and parameters of no tracked layer). A parameterised layer
 * without a view is an UnsupportedLayerError naming it, unless `unfactored` is 'skip'.
 */
export function kroneckerLayoutOf(model: Model, unfactored: UnfactoredPolicy = 'error'): { layers: KroneckerLayout[]; unfactored: Block[] } {
  const layers: KroneckerLayout[] = [];
  const skipped: Block[] = [];
  let at = 0;
  const gap = (upTo: number): void => {
    if (upTo > at) skipped.push({ offset: at, size: upTo - at, name: 'untracked parameters' });
  };
  for (const site of model.trackedLayers()) {
    gap(site.offset);
    const layer = site.layer;
    const view = layer.kroneckerView?.() ?? null;
    if (view && view.outFeatures * view.inFeatures + (view.bias ? view.outFeatures : 0) !== site.size) {
      throw new UnsupportedLayerError(`K-FAC: layer '${site.name}' (${layer.describe()}) has ${site.size} parameters, its Kronecker view ${view.outFeatures}×${view.inFeatures}${view.bias ? ' + bias' : ''}`);
    }
    if (view) {
      layers.push({
        name: site.name, offset: site.offset, size: site.size, inFeatures: view.inFeatures, outFeatures: view.outFeatures,
        bias: view.bias, inDim: view.inFeatures + (view.bias ? 1 : 0), ...(view.weightLayout === 'in-out' ? { transposed: true as const } : {}),
      });
    } else if (unfactored === 'error') {
      throw new UnsupportedLayerError(
        `K-FAC/EK-FAC cannot factor layer '${site.name}' (${layer.describe()}): it has no Kronecker factors (Linear, ungrouped Conv2d and Embedding do); ` +
        `choose a fallback solver for its parameters (kroneckerFallback, CLI --kronecker-fallback), e.g. 'direct'`);
    } else {
      skipped.push({ offset: site.offset, size: site.size, name: site.name });
    }
    at = site.offset + site.size;
  }
  gap(model.numParams);
  if (layers.length === 0) throw new UnsupportedLayerError(`K-FAC/EK-FAC: ${model.describe()} has no layer with Kronecker factors (Linear, Conv2d, Embedding)`);
  return { layers, unfactored: skipped };
}

/** Rows of V [k, size] (one layer's block of k vectors) as gradient matrices [k, out, inDim]. */
export function toMatrices(l: KroneckerLayout, v: Tensor): Tensor {
  const k = v.shape[0]!, { outFeatures: out, inFeatures: inF } = l;
  const block = slice(v, [0, 0], [k, out * inF]);
  const w = l.transposed ? transpose(reshape(block, [k, inF, out]), [0, 2, 1]) : reshape(block, [k, out, inF]);
  if (!l.bias) return w;
  return concat([w, reshape(slice(v, [0, out * inF], [k, out]), [k, out, 1])], 2);
}

/** Gradient matrices [k, out, inDim] back to rows [k, size] in θ's layout (the inverse of toMatrices). */
export function fromMatrices(l: KroneckerLayout, m: Tensor): Tensor {
  const k = m.shape[0]!, { outFeatures: out, inFeatures: inF } = l;
  const weight = l.bias ? slice(m, [0, 0, 0], [k, out, inF]) : m;
  const w = reshape(l.transposed ? transpose(weight, [0, 2, 1]) : weight, [k, out * inF]);
  if (!l.bias) return w;
  return concat([w, reshape(slice(m, [0, 0, inF], [k, out, 1]), [k, out])], 1);
}

/** The layer input with the homogeneous coordinate: a [n, …, in] → ã [rows, inDim] (rows = n·positions). */
export function homogeneousInput(l: KroneckerLayout, a: Tensor): Tensor {
  const flat = reshape(a, [-1, l.inFeatures]);
  return l.bias ? concat([flat, ones([flat.shape[0]!, 1], a.dtype)], 1) : flat;
}

/** Checks a layout list saved with a fit against the one a model gives now. */
export function sameLayouts(saved: unknown, now: readonly KroneckerLayout[]): boolean {
  return JSON.stringify(saved) === JSON.stringify(now.map((l) => ({ ...l })));
}

export function checkLayoutList(saved: unknown, what: string): asserts saved is KroneckerLayout[] {
  if (!Array.isArray(saved) || saved.some((l) => typeof l !== 'object' || l === null || typeof (l as KroneckerLayout).inDim !== 'number')) {
    throw new InputError(`${what}: the saved Kronecker layout is missing or malformed`);
  }
}
