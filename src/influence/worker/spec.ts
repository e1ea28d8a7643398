/**
 * Serialisable descriptions of a model, its parameters and a dataset, so that a worker thread can
 * rebuild them (structured clone copies typed arrays; tensors and closures cannot cross threads).
 */
import type { DType } from '../../backend/types.js';
import { InputError } from '../../errors.js';
import { tensor } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { lossByName, type LossName } from '../../nn/losses.js';
import { modelFromSpec, modelSpec, type ModelSpec } from '../../nn/model-spec.js';
import { Objective, type Dataset } from '../../nn/objective.js';
import type { ChunkSource } from '../../nn/chunk-source.js';
import { npyChunkSource } from '../../nn/npy-chunk-source.js';

export interface ObjectiveSpec {
  model: ModelSpec;
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
  return { model: modelSpec(objective.model), loss: objective.loss.name, weightDecay: objective.weightDecay };
}

export function objectiveFromSpec(spec: ObjectiveSpec): Objective {
  return new Objective(modelFromSpec(spec.model, 'worker model'), lossByName(spec.loss), spec.weightDecay);
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
