import { InputError } from '../errors.js';
import { GraphModel, type GraphSpec } from './graph.js';
import { layerFromSpec } from './layers/layer-spec.js';
import type { Model } from './model.js';
import type { LayerSpec } from './module.js';
import { Sequential } from './sequential.js';

/** A model's architecture as JSON (no parameter values): what worker threads and fit stores rebuild it from. */
export type ModelSpec = { readonly type: 'sequential'; readonly layers: readonly LayerSpec[] } | { readonly type: 'graph'; readonly graph: GraphSpec };

/** The architecture of a Sequential or a GraphModel; an InputError for another Model or a layer without spec(). */
export function modelSpec(model: Model): ModelSpec {
  if (model instanceof GraphModel) return { type: 'graph', graph: model.toJSON() };
  if (model instanceof Sequential) return { type: 'sequential', layers: model.layerSpecs() };
  throw new InputError(`${model.describe()}: only Sequential and GraphModel models can be described as JSON`);
}

/** The model an architecture describes (typed errors naming `source`). */
export function modelFromSpec(spec: unknown, source = 'model'): Model {
  const s = spec as Partial<{ type: string; layers: unknown; graph: unknown }>;
  if (s?.type === 'graph') return new GraphModel(s.graph as GraphSpec, source);
  if (s?.type === 'sequential' && Array.isArray(s.layers)) return new Sequential(s.layers.map((l, i) => layerFromSpec(l, `${source}: layer ${i}`)));
  throw new InputError(`${source}: expected { type: 'sequential', layers } or { type: 'graph', graph }, got ${JSON.stringify(spec)?.slice(0, 200)}`);
}
