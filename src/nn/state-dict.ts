import type { DType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import type { RawArray } from '../io/array.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { tensor } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Model } from './model.js';

/** θ as a PyTorch-style state_dict: name → array of the parameter's shape. */
export function stateDict(model: Model, theta: Tensor): Map<string, RawArray> {
  model.checkTheta(theta);
  const values = theta.dataSync();
  const out = new Map<string, RawArray>();
  for (const p of model.flatParams) {
    const slice = values.slice(p.offset, p.offset + p.size) as Float32Array | Float64Array;
    out.set(p.name, { data: slice, shape: [...p.shape], dtype: theta.dtype === 'float64' ? 'float64' : 'float32' });
  }
  return out;
}

/** θ from a state_dict; every parameter must be present with its exact shape (extra names are an error). */
export function loadStateDict(model: Model, dict: Map<string, RawArray>, dtype: DType = 'float32', source = 'state_dict'): Tensor {
  const values = new Float64Array(model.numParams);
  const expected = new Set(model.flatParams.map((p) => p.name));
  for (const name of dict.keys()) {
    if (!expected.has(name)) {
      throw new InputError(`${source}: unexpected parameter '${name}'; ${model.describe()} has ${[...expected].join(', ')}`);
    }
  }
  for (const p of model.flatParams) {
    const raw = dict.get(p.name);
    if (!raw) throw new InputError(`${source}: missing parameter '${p.name}' of shape [${p.shape.join(', ')}]`);
    if (raw.shape.length !== p.shape.length || raw.shape.some((d, i) => d !== p.shape[i])) {
      throw new ShapeError(`${source}: '${p.name}' has shape [${raw.shape.join(', ')}], ${model.describe()} needs [${p.shape.join(', ')}]`);
    }
    if (raw.dtype !== 'float32' && raw.dtype !== 'float64') {
      throw new InputError(`${source}: '${p.name}' is ${raw.dtype}; parameters must be float32 or float64`);
    }
    const d = raw.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) throw new InputError(`${source}: '${p.name}' holds a non-finite value (${d[i]}) at element ${i}`);
    }
    values.set(d, p.offset);
  }
  return tensor(values, [model.numParams], dtype);
}

export function saveSafetensors(path: string, model: Model, theta: Tensor, metadata: Record<string, string> = {}): void {
  writeSafetensors(path, stateDict(model, theta), metadata);
}

export function loadSafetensors(path: string, model: Model, dtype: DType = 'float32'): Tensor {
  const file = readSafetensors(path);
  return loadStateDict(model, file.tensors, dtype, path);
}
