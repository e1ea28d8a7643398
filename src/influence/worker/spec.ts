/**
 * Serialisable descriptions of a model, its parameters and a dataset, so that a worker thread can
 * rebuild them (structured clone copies typed arrays; tensors and closures cannot cross threads).
 */
import type { DType } from '../../backend/types.js';
import { InputError } from '../../errors.js';
import { tensor } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { activation } from '../../nn/activations.js';
import { Linear } from '../../nn/linear.js';
import { lossByName, type LossName } from '../../nn/losses.js';
import type { Layer } from '../../nn/module.js';
import { Objective, type Dataset } from '../../nn/objective.js';
import { Sequential } from '../../nn/sequential.js';
import type { ChunkSource } from '../../nn/chunk-source.js';
import { npyChunkSource } from '../../nn/npy-chunk-source.js';

export type LayerSpec = { kind: 'linear'; inFeatures: number; outFeatures: number; bias: boolean } | { kind: string };

export interface ObjectiveSpec {
  layers: LayerSpec[];
  loss: LossName;
  weightDecay: number;
}

export interface TensorSpec {
  data: Float64Array | Float32Array | Int32Array;
  shape: number[];
  dtype: DType;
}

export interface DatasetSpec {
  x: TensorSpec;
  y: TensorSpec;
}

export function objectiveSpec(objective: Objective): ObjectiveSpec {
  const layers = objective.model.layers.map((l): LayerSpec => {
    if (l instanceof Linear) return { kind: 'linear', inFeatures: l.inFeatures, outFeatures: l.outFeatures, bias: l.bias };
    if (l.params.length > 0) throw new InputError(`worker spec: layer ${l.describe()} has parameters and is not Linear; it cannot be rebuilt in a worker`);
    return { kind: l.kind };
  });
  return { layers, loss: objective.loss.name, weightDecay: objective.weightDecay };
}

export function objectiveFromSpec(spec: ObjectiveSpec): Objective {
  const layers: Layer[] = spec.layers.map((l) => (l.kind === 'linear'
    ? new Linear((l as { inFeatures: number }).inFeatures, (l as { outFeatures: number }).outFeatures, (l as { bias: boolean }).bias)
    : activation(l.kind)));
  return new Objective(new Sequential(layers), lossByName(spec.loss), spec.weightDecay);
}

export function tensorSpec(t: Tensor): TensorSpec {
  return { data: t.dataSync() as Float64Array | Float32Array | Int32Array, shape: [...t.shape], dtype: t.dtype };
}

export function tensorFromSpec(s: TensorSpec): Tensor {
  return tensor(s.data, s.shape, s.dtype);
}

export function datasetSpec(d: Dataset): DatasetSpec {
  if (!d || !d.x || !d.y) throw new InputError('expected a dataset {x, y} of tensors');
  return { x: tensorSpec(d.x), y: tensorSpec(d.y) };
}

export function datasetFromSpec(s: DatasetSpec): Dataset {
  return { x: tensorFromSpec(s.x), y: tensorFromSpec(s.y) };
}

/**
 * Training data streamed from .npy files, as a worker can rebuild it (a ChunkSource holds closures
 * and cannot cross threads): npyChunkSource(x, y, chunkRows, { dtype, labels }) in the worker.
 */
export interface NpyChunkSpec {
  kind: 'npy';
  /** Path of the inputs X [N, features]. */
  x: string;
  /** Path of the targets y [N] or [N, k]. */
  y: string;
  chunkRows: number;
  dtype?: 'float32' | 'float64';
  labels?: boolean;
}

export function isNpyChunkSpec(v: unknown): v is NpyChunkSpec {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'npy';
}

export function chunkSourceFromSpec(s: NpyChunkSpec): ChunkSource {
  if (typeof s.x !== 'string' || typeof s.y !== 'string') throw new InputError(`npy training spec: expected paths x and y, got ${JSON.stringify({ x: s.x, y: s.y })}`);
  return npyChunkSource(s.x, s.y, s.chunkRows, {
    ...(s.dtype !== undefined ? { dtype: s.dtype } : {}), ...(s.labels !== undefined ? { labels: s.labels } : {}),
  });
}
